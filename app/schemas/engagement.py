"""Reviews, likes and comments: request bodies and response shapes."""
from marshmallow import Schema, fields, validate

from app.schemas.common import Id
from app.schemas.users import PublicProfileSchema, UserSummarySchema

RATING = validate.Range(min=1, max=5)
REVIEW_TEXT = validate.Length(max=5000)
COMMENT_TEXT = validate.Length(min=1, max=2000)


class ReviewCreateSchema(Schema):
    song_id = Id(required=True)
    rating = fields.Integer(strict=True, required=True, validate=RATING, metadata={"description": "1 to 5."})
    review_text = fields.String(load_default="", validate=REVIEW_TEXT)


class ReviewUpdateSchema(Schema):
    rating = fields.Integer(strict=True, validate=RATING, metadata={"description": "1 to 5."})
    review_text = fields.String(validate=REVIEW_TEXT)


class ReviewSchema(Schema):
    id = fields.Integer()
    song_id = fields.Integer()
    rating = fields.Integer()
    review_text = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    user = fields.Nested(PublicProfileSchema, attribute="author", metadata={"description": "The author."})
    like_count = fields.Integer()
    comment_count = fields.Integer()
    liked_by_me = fields.Boolean()


class LikeCreateSchema(Schema):
    likeable_type = fields.String(required=True, validate=validate.OneOf(["Review", "Song"]))
    likeable_id = Id(required=True)


class LikeSchema(Schema):
    id = fields.Integer()
    likeable_type = fields.String()
    likeable_id = fields.Integer()
    user_id = fields.Integer()
    created_at = fields.DateTime()


class CommentTextSchema(Schema):
    text = fields.String(required=True, validate=COMMENT_TEXT)


class CommentCreateSchema(CommentTextSchema):
    commentable_type = fields.String(required=True, validate=validate.OneOf(["Review"]))
    commentable_id = Id(required=True)


class CommentSchema(Schema):
    id = fields.Integer()
    review_id = fields.Integer()
    text = fields.String()
    created_at = fields.DateTime()
    user = fields.Nested(UserSummarySchema)
