from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields


class ProfilePictureUploadSchema(Schema):
    # Other parts of the multipart body are ignored (webargs reads only the file parts, and excludes
    # unknown ones); saying so keeps /openapi.json from promising a 422 for them.
    class Meta:
        unknown = EXCLUDE

    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG or WEBP image (detected by content), at most 5 MB."},
    )


class ProfilePictureSchema(Schema):
    profile_picture_url = fields.String(
        required=True, metadata={"description": "Time-limited URL of the stored picture."}
    )
