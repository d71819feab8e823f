"""All models, imported here so metadata (and Alembic) sees every table."""
from sqlalchemy import DDL, event

from app.clock import utcnow
from app.extensions import db
from app.models.base import MAX_ID, BigId, UTCDateTime
from app.models.catalogue import Album, Artist, CatalogueVersion, Song, SyncJob
from app.models.collection import Collection, CollectionItem
from app.models.engagement import Comment, Like, Review
from app.models.export import Export
from app.models.idempotency import IdempotencyKey
from app.models.social import Activity, Follow, Notification
from app.models.user import PasswordResetRequest, PasswordResetToken, RefreshToken, RevokedAccessToken, User

__all__ = [
    "MAX_ID", "BigId", "UTCDateTime", "utcnow",
    "Album", "Artist", "CatalogueVersion", "Song", "SyncJob",
    "Collection", "CollectionItem",
    "Comment", "Like", "Review",
    "Export",
    "IdempotencyKey",
    "Activity", "Follow", "Notification",
    "PasswordResetRequest", "PasswordResetToken", "RefreshToken", "RevokedAccessToken", "User",
]

# Trigram indexes (catalogue search) need the extension before the tables are created.
event.listen(
    db.metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)
