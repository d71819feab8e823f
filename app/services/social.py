"""The social graph: following and unfollowing people, and listing followers and followees."""
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Follow, User
from app.models.base import insert_or_ignore
from app.pagination import Page, paginate
from app.services.activities import FOLLOWED, notify, record_activity
from app.services.users import get_profile, profile_columns, with_profile


def follow(follower: User, followed_id: int) -> tuple[User, bool]:
    """Follow a user; following again changes nothing. Returns the followed profile and whether a follow was made.

    The row is inserted-or-ignored against the unique (follower_id, followed_id), so two racing
    requests make one follow, one activity and one notification between them.
    """
    if followed_id == follower.id:
        raise InvalidInput("You cannot follow yourself.")
    if db.session.get(User, followed_id) is None:
        raise NotFound("No such user.")
    follow_id = insert_or_ignore(Follow, {"follower_id": follower.id, "followed_id": followed_id})
    created = follow_id is not None
    if created:
        record_activity(follower.id, FOLLOWED, follow_id=follow_id)
        notify(followed_id, follower.id, FOLLOWED, "User", follower.id, follow_id=follow_id)
    db.session.commit()
    return get_profile(followed_id, follower.id), created


def unfollow(follower: User, followed_id: int) -> None:
    """Stop following a user; the follow's activity and notification go with it (ON DELETE CASCADE)."""
    result = db.session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed_id)
    )
    if result.rowcount == 0:
        db.session.rollback()
        raise NotFound("You are not following this user.")
    db.session.commit()


def followers(user_id: int, viewer_id: int | None, **paging) -> Page:
    """The people who follow `user_id`, most recent follow first."""
    return _follow_list(user_id, viewer_id, "follower_id", "followed_id", **paging)


def following(user_id: int, viewer_id: int | None, **paging) -> Page:
    """The people `user_id` follows, most recent follow first."""
    return _follow_list(user_id, viewer_id, "followed_id", "follower_id", **paging)


def _follow_list(user_id, viewer_id, listed, owner, *, limit, cursor=None, page=None, per=None) -> Page:
    if db.session.get(User, user_id) is None:
        raise NotFound("No such user.")
    # Aliased, so the count subqueries of profile_columns do not correlate to the listing's own follows.
    edge = aliased(Follow)
    stmt = (
        select(User, *profile_columns(viewer_id), edge.created_at, edge.id)
        .join(edge, getattr(edge, listed) == User.id)
        .where(getattr(edge, owner) == user_id)
    )
    result = paginate(
        stmt, key_columns=[edge.created_at, edge.id], key=lambda row: (row[4], row[5]),
        limit=limit, cursor=cursor, page=page, per=per, execute=lambda s: db.session.execute(s).all(),
    )
    result.items = with_profile(row[:4] for row in result.items)
    return result
