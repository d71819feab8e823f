"""Your notifications (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema
from app.schemas.feed import NotificationFilterSchema, NotificationPageSchema, NotificationSchema
from app.services import notifications

blp = Blueprint(
    "v1_notifications", __name__, url_prefix="/api/v1/notifications", description="Your notifications."
)


@blp.route("")
class Notifications(MethodView):
    @auth_required(blp)
    @blp.arguments(NotificationFilterSchema, location="query")
    @blp.arguments(LegacyPageArgsSchema(notifications.NOTIFICATIONS_KEYSET), location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, filters, paging):
        """Your notifications, newest first; `unread=true` lists only unread ones. `unread_count` counts all unread."""
        return notifications.list_notifications(current_user, paging, **filters)


@blp.route("/<id:notification_id>/read", methods=["PATCH"])
@auth_required(blp)
@blp.response(200, NotificationSchema)
@blp.alt_response(404, description="No such notification of yours.")
def mark_read(notification_id):
    """Mark one of your notifications read (again is harmless: the first read time stays)."""
    return notifications.mark_read(current_user, notification_id)


@blp.route("/read_all", methods=["POST"])
@auth_required(blp)
@blp.response(204)
def mark_all_read():
    """Mark all your notifications read."""
    notifications.mark_all_read(current_user)
