from marshmallow import Schema

from app.schemas.common import Id


class RelationshipSchema(Schema):
    followed_id = Id(required=True, metadata={"description": "The user to follow."})
