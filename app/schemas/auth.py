from marshmallow import Schema, fields, validate

from app.schemas.users import USERNAME, MeSchema

PASSWORD = validate.Length(min=8, max=128)


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)
    bio = fields.String(load_default="", validate=validate.Length(max=500))


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires."})
    jwt_version = fields.Integer()


class SessionSchema(TokenPairSchema):
    user = fields.Nested(MeSchema)


class LogoutSchema(Schema):
    refresh_token = fields.String(validate=validate.Length(max=512))


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=512))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=128))
    password = fields.String(required=True, validate=PASSWORD)


class PasswordResetRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))


class PasswordResetSchema(Schema):
    reset_password_token = fields.String(required=True, validate=validate.Length(min=1, max=512))
    password = fields.String(required=True, validate=PASSWORD)


class MessageSchema(Schema):
    message = fields.String()
