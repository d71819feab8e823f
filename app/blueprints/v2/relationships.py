"""Following people (v2): a relationship is created with a body and removed by the followed user's id."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.social import RelationshipSchema
from app.schemas.users import PublicProfileSchema
from app.services import social

blp = Blueprint("v2_relationships", __name__, url_prefix="/api/v2/relationships", description="Follow and unfollow.")


@blp.route("")
class Relationships(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, 200)
    @blp.arguments(RelationshipSchema)
    @blp.response(201, PublicProfileSchema, description="Now following: the user's public profile.")
    @blp.alt_response(200, schema=PublicProfileSchema, description="Already following: nothing changed.")
    @blp.alt_response(404, description="No such user.")
    @blp.alt_response(422, description="Invalid body, or following yourself.")
    def post(self, body):
        """Follow the user `followed_id`. Following someone you already follow changes nothing and answers 200."""
        profile, created = social.follow(current_user, body["followed_id"])
        return profile, 201 if created else 200


@blp.route("/<id:user_id>")
class Relationship(MethodView):
    @auth_required(blp)
    @blp.response(204)
    @blp.alt_response(404, description="You are not following this user.")
    def delete(self, user_id):
        """Stop following a user."""
        social.unfollow(current_user, user_id)
