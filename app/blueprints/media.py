"""Files of the local storage backend, at the signed, time-limited URLs the API hands out."""
from flask import current_app, send_file
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.errors import NotFound
from app.services.media import get_storage
from app.services.storage import LocalStorage, content_type_for

blp = Blueprint("media", __name__, url_prefix="/media", description="Stored files (local storage backend).")


@blp.route("/<token>")
class MediaFile(MethodView):
    @blp.response(200, description="The file, with its content type.", content_type="application/octet-stream")
    @blp.alt_response(404, description="The link is invalid, tampered with or expired, or the file is gone.")
    def get(self, token):
        """Download a stored file (a profile picture, an export).

        No Authorization header: the signed token in the URL is the credential, and it expires.
        URLs come from the API (`profile_picture_url`, `download_url`); with the S3 backend they
        point at the bucket instead.
        """
        storage = get_storage()
        if not isinstance(storage, LocalStorage):
            raise NotFound("This link is invalid or has expired.")
        key = storage.resolve(token)
        response = send_file(
            storage.open(key),
            mimetype=content_type_for(key),
            as_attachment=key.startswith("exports/"),
            download_name=key.rsplit("/", 1)[-1],
            conditional=True,
            etag=False,
        )
        response.cache_control.private = True
        response.cache_control.max_age = current_app.config["MEDIA_URL_TTL"]
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
