"""Profiles: reading them with their counts, updating your own, searching by username prefix.

A profile is read one way wherever it shows (your own, someone's public profile, search, follow lists, review
authors, exports, follow lists): as a row of `profiles_select`, the user's columns with followers_count, following_count and
followed_by_me for the viewer `:viewer_id`. PublicProfileSchema and MeSchema dump such rows.
"""
from functools import cache

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Follow, User
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate

USER_SEARCH_KEYSET = Keyset("users", (str, int))

# Table columns, not ORM attributes: profile statements are Core statements, their rows plain rows.
_users, _follows = User.__table__, Follow.__table__
_PROFILE_FIELDS = (
    _users.c.id, _users.c.username, _users.c.email, _users.c.bio, _users.c.profile_picture_key, _users.c.is_admin,
    _users.c.created_at,
)


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


def profiles_select(*extra_columns):
    """SELECT profiles (the users table's rows) with their counts and whether :viewer_id follows each: correlated
    subqueries, so a whole page of profiles is one statement."""
    viewer_id = bindparam("viewer_id", type_=_users.c.id.type)
    followers = select(func.count()).where(_follows.c.followed_id == _users.c.id).scalar_subquery()
    following = select(func.count()).where(_follows.c.follower_id == _users.c.id).scalar_subquery()
    followed_by_me = exists().where(_follows.c.follower_id == viewer_id, _follows.c.followed_id == _users.c.id)
    return select(
        *_PROFILE_FIELDS, followers.label("followers_count"), following.label("following_count"),
        followed_by_me.label("followed_by_me"), *extra_columns,
    )


@cache
def _profile_statement():
    return profiles_select().where(_users.c.id == bindparam("user_id", type_=_users.c.id.type))


def get_profile(user_id: int, viewer_id: int):
    """One profile row, as `viewer_id` sees it."""
    row = db.session.execute(_profile_statement(), {"user_id": user_id, "viewer_id": viewer_id}).first()
    if row is None:
        raise NotFound("No such user.")
    return row


@cache
def _profiles_by_id_statement():
    return profiles_select().where(_users.c.id.in_(bindparam("user_ids", expanding=True)))


def profiles_by_id(user_ids, viewer_id: int) -> dict:
    """The profile rows of `user_ids` (those that exist), by id: one statement."""
    if not user_ids:
        return {}
    rows = db.session.execute(_profiles_by_id_statement(), {"user_ids": sorted(set(user_ids)), "viewer_id": viewer_id})
    return {row.id: row for row in rows}


def ensure_user_exists(user_id: int, *, field: str | None = None) -> None:
    if not db.session.scalar(select(exists().where(_users.c.id == user_id))):
        raise NotFound("No such user.", field=field)


@cache
def _search_statement(by_prefix: bool, mode: str):
    username_key = func.lower(_users.c.username)
    stmt = profiles_select(username_key.label("username_key"))
    if by_prefix:
        stmt = stmt.where(username_key.like(bindparam("pattern"), escape="\\"))
    return keyset_statement(stmt, [username_key, _users.c.id], mode, descending=False)


def search(prefix: str | None, viewer_id: int, paging: Paging) -> Page:
    """Profiles whose username starts with `prefix` (case-insensitive), alphabetically."""
    params = {"viewer_id": viewer_id}
    if prefix:
        params["pattern"] = like_prefix(prefix.lower())
    return paginate(_search_statement(bool(prefix), paging.mode), paging, USER_SEARCH_KEYSET,
                    key=lambda row: (row.username_key, row.id), params=params)


def update_profile(actor, user_id: int, changes: dict):
    """Update username and bio; only for yourself. Returns the profile row."""
    if actor.id != user_id:
        raise Forbidden("You can only change your own profile.")
    user = db.session.get(User, actor.id)
    for name in ("username", "bio"):
        if name in changes:
            setattr(user, name, changes[name])
    user.profile_version = User.profile_version + 1
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise unique_violation(error) from None
    return get_profile(actor.id, actor.id)


def profile_picture_url(user) -> str | None:
    """The time-limited URL of the user's picture (app.services.media.media_url), or None; `user` is anything with
    `profile_picture_key`."""
    if not user.profile_picture_key:
        return None
    from app.services.media import media_url

    return media_url(user.profile_picture_key)
