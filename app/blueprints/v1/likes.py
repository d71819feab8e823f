"""Likes of reviews and songs (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.engagement import LikeCreateSchema, LikeSchema
from app.services import engagement

blp = Blueprint("v1_likes", __name__, url_prefix="/api/v1", description="Like reviews and songs.")


def created_or_ok(result):
    like, created = result
    return like, 201 if created else 200


@blp.route("/reviews/<id:review_id>/like")
class ReviewLike(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, 200, document_invalid=True)
    @blp.response(201, LikeSchema, description="Liked now.")
    @blp.alt_response(200, schema=LikeSchema, description="Already liked: nothing changed.")
    @blp.alt_response(404, description="No such review.")
    def post(self, review_id):
        """Like a review (its author is notified). Liking again changes nothing and answers 200."""
        return created_or_ok(engagement.like(current_user, engagement.REVIEW, review_id))

    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(404, description="You have not liked this review.")
    def delete(self, review_id):
        """Take back your like of a review."""
        engagement.unlike_review(current_user, review_id)


@blp.route("/likes")
class Likes(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, 200)
    @blp.arguments(LikeCreateSchema)
    @blp.response(201, LikeSchema, description="Liked now.")
    @blp.alt_response(200, schema=LikeSchema, description="Already liked: nothing changed.")
    @blp.alt_response(404, description="No such review or song (field `likeable_id`).")
    def post(self, body):
        """Like a review or a song (`likeable_type` is `Review` or `Song`). Liking again answers 200."""
        return created_or_ok(engagement.like(current_user, body["likeable_type"], body["likeable_id"]))


@blp.route("/likes/<id:like_id>")
class LikeDetail(MethodView):
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, description="Not your like.")
    @blp.alt_response(404, description="No such like.")
    def delete(self, like_id):
        """Remove one of your likes."""
        engagement.delete_like(current_user, like_id)
