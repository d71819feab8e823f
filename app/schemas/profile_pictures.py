from flask_smorest.fields import Upload
from marshmallow import Schema, fields


class ProfilePictureUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG or WEBP image (detected by content), at most 5 MB."},
    )


class ProfilePictureSchema(Schema):
    profile_picture_url = fields.String(
        required=True, metadata={"description": "Time-limited URL of the stored picture."}
    )
