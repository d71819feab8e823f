"""All models, imported here so metadata (and Alembic) sees every table."""
from app.models.base import MAX_ID, BigId, UTCDateTime, utcnow
from app.models.catalogue import Album, Artist, Song, SyncJob
from app.models.collection import Collection, CollectionItem
from app.models.engagement import Comment, Like, Review
from app.models.export import Export
from app.models.social import Activity, Follow, Notification
from app.models.user import PasswordResetToken, RefreshToken, RevokedAccessToken, User

__all__ = [
    "MAX_ID", "BigId", "UTCDateTime", "utcnow",
    "Album", "Artist", "Song", "SyncJob",
    "Collection", "CollectionItem",
    "Comment", "Like", "Review",
    "Export",
    "Activity", "Follow", "Notification",
    "PasswordResetToken", "RefreshToken", "RevokedAccessToken", "User",
]
