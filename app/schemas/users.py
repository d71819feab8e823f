from marshmallow import Schema, ValidationError, fields, validate

from app.schemas.common import Id
from app.services.users import profile_picture_url


class WholeString(validate.Regexp):
    """A Regexp that the whole value must match: Python's `$` also matches before a trailing newline, so
    "alice\n" passes marshmallow's Regexp. The pattern stays as written, the one /openapi.json documents (where
    JSON Schema's `$` is the end of the string)."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self.error.format(input=value, regex=self.regex.pattern))
        return value


USERNAME = WholeString(
    r"^[A-Za-z0-9_.]{3,30}$", error="3 to 30 letters, digits, '_' or '.'."
)


class UserSummarySchema(Schema):
    """The actor of an activity or notification, the author of a comment."""

    id = fields.Integer()
    username = fields.String()
    profile_picture_url = fields.Function(profile_picture_url, allow_none=True)


class PublicProfileSchema(UserSummarySchema):
    bio = fields.String()
    followers_count = fields.Integer()
    following_count = fields.Integer()
    followed_by_me = fields.Boolean()


def dump_public_profile_row(row) -> dict:
    """PublicProfileSchema's dump of a profile row (app.services.users.profiles_select) without per-field marshmallow
    calls: the lean path of GET /api/v1/users/{id} (tests/schemas/test_users.py keeps the two byte-for-byte equal)."""
    return {
        "id": row.id, "username": row.username, "profile_picture_url": profile_picture_url(row), "bio": row.bio,
        "followers_count": row.followers_count, "following_count": row.following_count,
        "followed_by_me": bool(row.followed_by_me),
    }


class MeSchema(UserSummarySchema):
    email = fields.String()
    bio = fields.String()
    is_admin = fields.Boolean()
    followers_count = fields.Integer()
    following_count = fields.Integer()
    created_at = fields.DateTime()


class MeEnvelopeSchema(Schema):
    user = fields.Nested(MeSchema)


class UserUpdateSchema(Schema):
    username = fields.String(validate=USERNAME)
    bio = fields.String(validate=validate.Length(max=500))


class UserSearchArgsSchema(Schema):
    q = fields.String(validate=validate.Length(max=30), metadata={"description": "Username prefix, case-insensitive."})


class UserIdSchema(Schema):
    id = Id(required=True)
