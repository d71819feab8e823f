"""Activities (feed items) and notifications."""
from marshmallow import Schema, fields

from app.schemas.common import page_of
from app.schemas.users import UserSummarySchema
from app.services.users import profile_picture_url


class ActivityTargetSchema(Schema):
    """What an activity is about; the summary fields depend on `type`."""

    type = fields.String(required=True, metadata={"description": "User, Song, Review or Collection."})
    id = fields.Integer(required=True)
    username = fields.String(metadata={"description": "User targets."})
    title = fields.String(metadata={"description": "Song and Collection targets."})
    artist_name = fields.String(metadata={"description": "Song targets."})
    rating = fields.Integer(metadata={"description": "Review targets."})
    song_id = fields.Integer(metadata={"description": "Review targets."})


class ActivitySchema(Schema):
    id = fields.Integer()
    action_type = fields.String(
        metadata={"description": "followed, reviewed, liked, commented or created_collection."}
    )
    created_at = fields.DateTime()
    actor = fields.Nested(UserSummarySchema)
    target = fields.Nested(ActivityTargetSchema)


ActivityPageSchema = page_of(ActivitySchema)


def dump_activity_row(item) -> dict:
    """ActivitySchema's dump of a FeedItem (app.services.feed) without per-field marshmallow calls: the lean path of
    both feeds (tests/schemas/test_feed.py keeps the two byte-for-byte equal)."""
    return {
        "id": item.id,
        "action_type": item.action_type,
        "created_at": item.created_at.isoformat(),
        "actor": {
            "id": item.actor.id,
            "username": item.actor.username,
            "profile_picture_url": profile_picture_url(item.actor),
        },
        "target": item.target,
    }


class NotificationSchema(Schema):
    id = fields.Integer()
    action = fields.String(metadata={"description": "followed, liked (your review) or commented (your review)."})
    actor = fields.Nested(UserSummarySchema)
    notifiable_type = fields.String(metadata={"description": "User (a follow) or Review."})
    notifiable_id = fields.Integer()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


NotificationPageSchema = page_of(
    NotificationSchema, unread_count=fields.Integer(required=True, metadata={"description": "All your unread ones."})
)


class NotificationFilterSchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only unread notifications."})
