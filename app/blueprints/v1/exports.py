"""Your data exports (v1)."""
from flask import url_for
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.exports import ExportCreatedSchema, ExportSchema
from app.services import exports

blp = Blueprint(
    "v1_exports", __name__, url_prefix="/api/v1/users/me/exports", description="Download all your data."
)


@blp.route("")
class Exports(MethodView):
    @auth_required(blp)
    @idempotent(blp, 202, document_invalid=True)
    @blp.response(202, ExportCreatedSchema)
    @blp.alt_response(429, description="Five exports in the last 24 hours: retry after `Retry-After` seconds.")
    @blp.alt_response(503, description="The job queue is unavailable.")
    def post(self):
        """Start an export of your data.

        One JSON document with your profile, activities, reviews, likes, comments, collections (with
        their songs) and follows (both directions) is written in the background. Poll `status_url`
        until `status` is `finished`, then fetch `download_url`. The file is kept for 7 days.

        While one of your exports is queued or started, the answer is that export (no second one).
        At most 5 exports in 24 hours.
        """
        export = exports.request_export(current_user)
        return {"export_id": export.id, "status_url": url_for("v1_exports.Export", export_id=export.id)}


@blp.route("/<export_id>")
class Export(MethodView):
    @auth_required(blp)
    @blp.response(200, ExportSchema)
    @blp.alt_response(404, description="No such export of yours (or it has expired).")
    def get(self, export_id):
        """The status of one of your exports, and its time-limited `download_url` once finished."""
        return exports.get_export(current_user.id, export_id)
