"""Users and profiles (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.conditional import kept_validator, profile_etag
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.schemas.lean import item_response
from app.schemas.users import (
    MeEnvelopeSchema,
    PublicProfileSchema,
    UserSearchArgsSchema,
    UserUpdateSchema,
    dump_public_profile_row,
)
from app.services import users

blp = Blueprint("v1_users", __name__, url_prefix="/api/v1/users", description="Profiles and user search.")


@blp.route("/me")
class Me(MethodView):
    @auth_required(blp)
    @blp.response(200, MeEnvelopeSchema)
    @kept_validator(profile_etag)
    def get(self):
        """Your own profile, with email."""
        return {"user": users.get_profile(current_user.id, current_user.id)}

    @auth_required(blp)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, MeEnvelopeSchema)
    @blp.alt_response(409, description="Username taken.")
    def patch(self, changes):
        """Change your username or bio."""
        return {"user": users.update_profile(current_user, current_user.id, changes)}


@blp.route("")
class UserSearch(MethodView):
    @auth_required(blp)
    @blp.arguments(UserSearchArgsSchema, location="query")
    @blp.arguments(LegacyPageArgsSchema(users.USER_SEARCH_KEYSET), location="query")
    @blp.response(200, page_of(PublicProfileSchema))
    def get(self, search, paging):
        """Public profiles whose username starts with `q` (case-insensitive), alphabetically."""
        return users.search(search.get("q"), current_user.id, paging)


@blp.route("/<id:user_id>")
class UserProfile(MethodView):
    @auth_required(blp)
    @blp.response(200, PublicProfileSchema)
    @blp.alt_response(404, description="No such user.")
    @kept_validator(profile_etag)
    def get(self, user_id):
        """A public profile, with counts and whether you follow this user."""
        return item_response(users.get_profile(user_id, current_user.id), dump_public_profile_row)

    @auth_required(blp)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, MeEnvelopeSchema)
    @blp.alt_response(403, description="Not your profile.")
    @blp.alt_response(409, description="Username taken.")
    def patch(self, changes, user_id):
        """Change a profile: only your own."""
        return {"user": users.update_profile(current_user, user_id, changes)}
