"""Activity feeds (v1: cursor or legacy page/per)."""
from app.blueprints.base import Blueprint
from app.blueprints.security import auth_required, current_user
from app.schemas.common import LegacyPageArgsSchema
from app.schemas.feed import ActivityPageSchema, dump_activity_row
from app.schemas.lean import page_response
from app.services import feed

blp = Blueprint("v1_feed", __name__, url_prefix="/api/v1/feed", description="Activity feeds.")


@blp.route("/following", methods=["GET"])
@auth_required(blp)
@blp.arguments(LegacyPageArgsSchema(feed.FOLLOWING_KEYSET), location="query")
@blp.response(200, ActivityPageSchema)
def following(paging):
    """What the people you follow did, newest first."""
    return page_response(feed.following_feed(current_user, paging), dump_activity_row)


@blp.route("/explore", methods=["GET"])
@auth_required(blp)
@blp.arguments(LegacyPageArgsSchema(feed.EXPLORE_KEYSET), location="query")
@blp.response(200, ActivityPageSchema)
def explore(paging):
    """What everyone but you did, newest first."""
    return page_response(feed.explore_feed(current_user, paging), dump_activity_row)
