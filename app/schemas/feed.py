"""Activities (feed items) and notifications."""
from types import SimpleNamespace

from marshmallow import Schema, fields

from app.schemas.common import LegacyPageArgsSchema, page_of
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
    """ActivitySchema's dump of an item of `app.services.feed.following_feed_rows`: the lean path of the
    following feed (tests/schemas/test_feed.py keeps it equal to the schema)."""
    key = item.actor_profile_picture_key
    return {
        "id": item.id,
        "action_type": item.action_type,
        "created_at": item.created_at.isoformat(),
        "actor": {
            "id": item.actor_id,
            "username": item.actor_username,
            "profile_picture_url": profile_picture_url(SimpleNamespace(profile_picture_key=key)) if key else None,
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


class NotificationArgsSchema(LegacyPageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only unread notifications."})
