"""Following people, and who follows whom (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.schemas.users import PublicProfileSchema
from app.services import social

blp = Blueprint("v1_follows", __name__, url_prefix="/api/v1/users", description="Follow and unfollow people.")


@blp.route("/<id:user_id>/follow")
class Follow(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, 200)
    @blp.response(201, PublicProfileSchema, description="Now following: the user's public profile.")
    @blp.alt_response(200, schema=PublicProfileSchema, description="Already following: nothing changed.")
    @blp.alt_response(404, description="No such user.")
    @blp.alt_response(422, description="You cannot follow yourself; or an invalid or reused Idempotency-Key.")
    def post(self, user_id):
        """Follow a user. Following someone you already follow changes nothing and answers 200."""
        profile, created = social.follow(current_user, user_id)
        return profile, 201 if created else 200

    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(404, description="You are not following this user.")
    def delete(self, user_id):
        """Stop following a user."""
        social.unfollow(current_user, user_id)


@blp.route("/<id:user_id>/followers")
class Followers(MethodView):
    @auth_required(blp)
    @blp.arguments(LegacyPageArgsSchema(social.FOLLOWERS_KEYSET), location="query")
    @blp.response(200, page_of(PublicProfileSchema))
    @blp.alt_response(404, description="No such user.")
    def get(self, paging, user_id):
        """The people following a user, most recent follow first."""
        return social.followers(user_id, current_user.id, paging)


@blp.route("/<id:user_id>/following")
class Following(MethodView):
    @auth_required(blp)
    @blp.arguments(LegacyPageArgsSchema(social.FOLLOWING_KEYSET), location="query")
    @blp.response(200, page_of(PublicProfileSchema))
    @blp.alt_response(404, description="No such user.")
    def get(self, paging, user_id):
        """The people a user follows, most recent follow first."""
        return social.following(user_id, current_user.id, paging)
