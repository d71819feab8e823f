"""Profiles: reading them with their counts, updating your own, searching by username prefix."""
from functools import cache

from sqlalchemy import bindparam, exists, func, literal, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Follow, User
from app.pagination import Page, paginate


def unique_violation(error: IntegrityError) -> Conflict:
    """Which unique field a failed INSERT/UPDATE of a user collided with."""
    text = str(error.orig).lower()
    if "email" in text:
        return Conflict("This email is already registered.", field="email")
    return Conflict("This username is taken.", field="username")


def like_prefix(text: str) -> str:
    """A LIKE pattern matching `text` literally at the start (`%`, `_` and `\\` match themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def profile_columns(viewer_id):
    """Counts and followed_by_me as correlated subqueries: one query for a whole page of users.
    `viewer_id`: a user id, a bound parameter, or None (no viewer: followed_by_me is false)."""
    # Table columns, not ORM attributes: the lean profile statement stays a Core statement.
    users, follows = User.__table__, Follow.__table__
    followers = select(func.count()).where(follows.c.followed_id == users.c.id).scalar_subquery()
    following = select(func.count()).where(follows.c.follower_id == users.c.id).scalar_subquery()
    if viewer_id is None:
        followed_by_me = literal(False)
    else:
        followed_by_me = exists().where(follows.c.follower_id == viewer_id, follows.c.followed_id == users.c.id)
    return (
        followers.label("followers_count"),
        following.label("following_count"),
        followed_by_me.label("followed_by_me"),
    )


def with_profile(rows) -> list[User]:
    """Attach the counts of `profile_columns` to each user object, for the schemas to dump."""
    users = []
    for user, followers_count, following_count, followed_by_me in rows:
        user.followers_count = followers_count
        user.following_count = following_count
        user.followed_by_me = bool(followed_by_me)
        users.append(user)
    return users


def get_profile(user_id: int, viewer_id: int | None = None) -> User:
    rows = db.session.execute(select(User, *profile_columns(viewer_id)).where(User.id == user_id)).all()
    if not rows:
        raise NotFound("No such user.")
    return with_profile(rows)[0]


def public_profile_row(user_id: int, viewer_id: int):
    """What PublicProfileSchema shows of a user, as one row (no ORM object): the lean path of GET /users/{id}."""
    row = db.session.execute(_public_profile_statement(), {"user_id": user_id, "viewer_id": viewer_id}).first()
    if row is None:
        raise NotFound("No such user.")
    return row


@cache
def _public_profile_statement():
    """Built once; the request only binds the two ids."""
    users = User.__table__
    return select(
        users.c.id, users.c.username, users.c.profile_picture_key, users.c.bio,
        *profile_columns(bindparam("viewer_id", type_=users.c.id.type)),
    ).where(users.c.id == bindparam("user_id", type_=users.c.id.type))


def search(prefix: str | None, viewer_id: int | None, *, limit: int, cursor=None, page=None, per=None) -> Page:
    """Users whose username starts with `prefix` (case-insensitive), alphabetically."""
    username_key = func.lower(User.username)
    stmt = select(User, *profile_columns(viewer_id))
    if prefix:
        stmt = stmt.where(username_key.like(like_prefix(prefix.lower()), escape="\\"))
    result = paginate(
        stmt, key_columns=[username_key, User.id], key=lambda row: (row[0].username.lower(), row[0].id),
        limit=limit, cursor=cursor, descending=False, page=page, per=per,
        execute=lambda s: db.session.execute(s).all(),
    )
    result.items = with_profile(result.items)
    return result


def update_profile(actor: User, user_id: int, changes: dict) -> User:
    """Update username and bio; only for yourself."""
    if actor.id != user_id:
        raise Forbidden("You can only change your own profile.")
    for name in ("username", "bio"):
        if name in changes:
            setattr(actor, name, changes[name])
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise unique_violation(error) from None
    return get_profile(actor.id, actor.id)


def profile_picture_url(user: User) -> str | None:
    """A time-limited URL of the user's picture, or None."""
    if not user.profile_picture_key:
        return None
    from flask import current_app

    from app.services.media import get_storage

    return get_storage().url(user.profile_picture_key, current_app.config["MEDIA_URL_TTL"])
