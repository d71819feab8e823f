"""Your profile picture (v1)."""
from functools import wraps

from flask import current_app, request
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.security import auth_required, current_user
from app.errors import PayloadTooLarge
from app.schemas.profile_pictures import ProfilePictureSchema, ProfilePictureUploadSchema
from app.services import profile_pictures

blp = Blueprint(
    "v1_profile_pictures", __name__, url_prefix="/api/v1/users/me", description="Your profile picture."
)

# Room for the multipart envelope (boundaries, part headers) around a picture of the maximum size.
MULTIPART_OVERHEAD = 64 * 1024


def picture_size_limit(view):
    """Refuse an oversize upload before its body is read or parsed.

    A declared Content-Length is checked at once; a chunked body is cut off by werkzeug at the
    same limit while the form is parsed. The exact byte cap on the picture itself is applied
    when it is processed.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        max_bytes = current_app.config["PROFILE_PICTURE_MAX_BYTES"]
        if request.content_length is not None and request.content_length > max_bytes + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(f"The picture must be at most {max_bytes} bytes.")
        request.max_content_length = max_bytes + MULTIPART_OVERHEAD
        return view(*args, **kwargs)

    return wrapper


@blp.route("/profile_picture")
class ProfilePicture(MethodView):
    @auth_required(blp)
    @picture_size_limit
    @blp.arguments(ProfilePictureUploadSchema, location="files")
    @blp.response(200, ProfilePictureSchema)
    @blp.alt_response(413, description="The picture is over 5 MB (5 × 1024 × 1024 bytes).")
    @blp.alt_response(415, description="The file is not a readable JPEG, PNG or WEBP image.")
    @blp.alt_response(422, description="No `file` part, or a picture over 16 megapixels or 8,000 pixels a side "
                                       "(field `file`).")
    def put(self, body):
        """Upload your profile picture (multipart field `file`).

        JPEG, PNG or WEBP, recognised by content (not by file name), at most 5 MB, 16 megapixels and
        8,000 pixels a side (checked from the image's header, before it is decoded). The picture is
        re-encoded without its metadata (EXIF, GPS, ...) and downscaled to at most 1024 pixels a side.
        It replaces your previous picture. The returned URL is time-limited: fetch your profile again
        for a fresh one.
        """
        return {"profile_picture_url": profile_pictures.set_profile_picture(current_user, body["file"])}

    @auth_required(blp)
    @blp.response(204)
    def delete(self):
        """Remove your profile picture (also fine when you have none)."""
        profile_pictures.remove_profile_picture(current_user)
