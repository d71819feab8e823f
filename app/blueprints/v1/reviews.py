"""Song reviews (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import IN_FLIGHT, idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.schemas.engagement import ReviewCreateSchema, ReviewSchema, ReviewUpdateSchema
from app.services import engagement

blp = Blueprint("v1_reviews", __name__, url_prefix="/api/v1", description="Rate and review songs.")


@blp.route("/songs/<id:song_id>/reviews")
class SongReviews(MethodView):
    @auth_required(blp)
    @blp.arguments(LegacyPageArgsSchema(engagement.SONG_REVIEWS_KEYSET), location="query")
    @blp.response(200, page_of(ReviewSchema))
    @blp.alt_response(404, description="No such song.")
    def get(self, paging, song_id):
        """A song's reviews, newest first, each with its author's public profile, like and comment counts,
        and whether you liked it."""
        return engagement.list_song_reviews(song_id, current_user.id, paging)


@blp.route("/reviews")
class Reviews(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, document_conflict=False)
    @blp.arguments(ReviewCreateSchema)
    @blp.response(201, ReviewSchema)
    @blp.alt_response(404, description="No such song (field `song_id`).")
    @blp.alt_response(409, description="You have already reviewed this song. Or: " + IN_FLIGHT)
    def post(self, body):
        """Review a song: a rating from 1 to 5 and an optional text (at most 5000 characters).

        One review per song and user; change it with PATCH instead of posting again.
        """
        return engagement.create_review(current_user, **body)


@blp.route("/reviews/<id:review_id>")
class ReviewDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, description="No such review.")
    def get(self, review_id):
        """One review, with its author, counts and whether you liked it."""
        return engagement.get_review(review_id, current_user.id)

    @auth_required(blp)
    @blp.arguments(ReviewUpdateSchema)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(403, description="Not your review.")
    @blp.alt_response(404, description="No such review.")
    def patch(self, changes, review_id):
        """Change the rating or text of your review."""
        return engagement.update_review(current_user, review_id, changes)

    @auth_required(blp)
    @blp.arguments(ReviewUpdateSchema)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(403, description="Not your review.")
    @blp.alt_response(404, description="No such review.")
    def put(self, changes, review_id):
        """Same as PATCH: change the rating or text of your review (fields left out keep their values)."""
        return engagement.update_review(current_user, review_id, changes)

    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(403, description="Not your review.")
    @blp.alt_response(404, description="No such review.")
    def delete(self, review_id):
        """Delete your review, with its likes and comments."""
        engagement.delete_review(current_user, review_id)
