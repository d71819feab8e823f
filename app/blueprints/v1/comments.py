"""Comments on reviews (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.schemas.engagement import CommentCreateSchema, CommentSchema, CommentTextSchema
from app.services import engagement

blp = Blueprint("v1_comments", __name__, url_prefix="/api/v1", description="Comment on reviews.")


@blp.route("/reviews/<id:review_id>/comments")
class ReviewComments(MethodView):
    @auth_required(blp)
    @blp.arguments(LegacyPageArgsSchema(engagement.COMMENTS_KEYSET), location="query")
    @blp.response(200, page_of(CommentSchema))
    @blp.alt_response(404, description="No such review.")
    def get(self, paging, review_id):
        """A review's comments, oldest first."""
        return engagement.list_comments(review_id, paging)

    @auth_required(blp)
    @idempotent(blp, 201)
    @blp.arguments(CommentTextSchema)
    @blp.response(201, CommentSchema)
    @blp.alt_response(404, description="No such review.")
    def post(self, body, review_id):
        """Comment on a review (1 to 2000 characters); the review's author is notified."""
        return engagement.add_comment(current_user, review_id, body["text"])


@blp.route("/comments")
class Comments(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201)
    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    @blp.alt_response(404, description="No such review (field `commentable_id`).")
    def post(self, body):
        """Comment on a review given as `commentable_type` (`Review`) and `commentable_id`."""
        return engagement.add_comment(current_user, body["commentable_id"], body["text"], field="commentable_id")


@blp.route("/comments/<id:comment_id>")
class CommentDetail(MethodView):
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, description="Not your comment.")
    @blp.alt_response(404, description="No such comment.")
    def delete(self, comment_id):
        """Delete your comment."""
        engagement.delete_comment(current_user, comment_id)
