"""The social graph: following and unfollowing people, and listing followers and followees."""
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Follow, User
from app.models.base import insert_or_ignore
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate
from app.services.activities import FOLLOWED, notify, record_activity
from app.services.users import ensure_user_exists, get_profile, profiles_select
from app.services.validators import bump_profile_versions

FOLLOWERS_KEYSET = Keyset("followers", (datetime, int))
FOLLOWING_KEYSET = Keyset("following", (datetime, int))


def follow(follower, followed_id: int) -> tuple:
    """Follow a user; following again changes nothing. Returns the followed profile and whether a follow was made.

    The row is inserted-or-ignored against the unique (follower_id, followed_id), so two racing
    requests make one follow, one activity and one notification between them.
    """
    if followed_id == follower.id:
        raise InvalidInput("You cannot follow yourself.")
    ensure_user_exists(followed_id)
    follow_id = insert_or_ignore(Follow, {"follower_id": follower.id, "followed_id": followed_id})
    created = follow_id is not None
    if created:
        bump_profile_versions(follower.id, followed_id)  # both follow counts
        record_activity(follower.id, FOLLOWED, follow_id=follow_id)
        notify(followed_id, follower.id, FOLLOWED, "User", follower.id, follow_id=follow_id)
    db.session.commit()
    return get_profile(followed_id, follower.id), created


def unfollow(follower, followed_id: int) -> None:
    """Stop following a user; the follow's activity and notification go with it (ON DELETE CASCADE)."""
    result = db.session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed_id)
    )
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound("You are not following this user.")
    bump_profile_versions(follower.id, followed_id)
    db.session.commit()


def followers(user_id: int, viewer_id: int, paging: Paging) -> Page:
    """The profiles of the people who follow `user_id`, most recent follow first."""
    return _follow_list(user_id, viewer_id, paging, "follower_id", FOLLOWERS_KEYSET)


def following(user_id: int, viewer_id: int, paging: Paging) -> Page:
    """The profiles of the people `user_id` follows, most recent follow first."""
    return _follow_list(user_id, viewer_id, paging, "followed_id", FOLLOWING_KEYSET)


@cache
def _follow_list_statement(listed: str, mode: str):
    # Aliased, so the count subqueries of profiles_select do not correlate to the listing's own follows.
    users, edge = User.__table__, Follow.__table__.alias("edge")
    owner = "followed_id" if listed == "follower_id" else "follower_id"
    stmt = (
        profiles_select(edge.c.created_at.label("followed_at"), edge.c.id.label("follow_id"))
        .join(edge, edge.c[listed] == users.c.id)
        .where(edge.c[owner] == bindparam("user_id", type_=users.c.id.type))
    )
    return keyset_statement(stmt, [edge.c.created_at, edge.c.id], mode)


def _follow_list(user_id, viewer_id, paging, listed, keyset) -> Page:
    ensure_user_exists(user_id)
    return paginate(_follow_list_statement(listed, paging.mode), paging, keyset,
                    key=lambda row: (row.followed_at, row.follow_id),
                    params={"user_id": user_id, "viewer_id": viewer_id})
