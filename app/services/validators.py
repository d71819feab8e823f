"""Versions the server keeps, so that a read can be validated without running it (ETag, If-None-Match).

- The catalogue (songs, artists, albums) changes only by ingestion: `catalogue_version` is bumped in the
  transaction of every stored page (app.services.ingestion.store_tracks).
- A profile shows the user's fields, picture and both follow counts: `users.profile_version` is bumped in the
  statement or transaction of each change to any of them (profile update, picture, follow and unfollow on both
  sides).
- A collection's `version` is bumped by every change to it or its items (app.services.collections); its body
  also shows songs, so its validator pairs its version with the catalogue's.

A validator is read before the body it labels: a change committed in between makes the body newer than its
ETag (one needless 200 later), never older (a stale 304).
"""
from functools import cache

from sqlalchemy import bindparam, or_, select, update

from app.extensions import db
from app.models import CatalogueVersion, Collection, User
from app.models.base import conflict_insert

_ROW = 1  # catalogue_version holds one row


@cache
def _catalogue_version_select():
    return select(CatalogueVersion.__table__.c.version).where(CatalogueVersion.__table__.c.id == _ROW)


def catalogue_version() -> int:
    return db.session.scalar(_catalogue_version_select()) or 0


def bump_catalogue_version() -> None:
    """+1 in the caller's transaction (the first bump creates the row). Run it last before the commit: the row
    stays locked until then, so concurrent ingestion pages queue only for their commits."""
    table = CatalogueVersion.__table__
    db.session.execute(conflict_insert(table).values(id=_ROW, version=1).on_conflict_do_update(
        index_elements=[table.c.id], set_={"version": table.c.version + 1},
    ))


@cache
def _profile_version_select():
    users = User.__table__
    return select(users.c.profile_version).where(users.c.id == bindparam("user_id", type_=users.c.id.type))


def profile_version(user_id: int) -> int | None:
    """None when there is no such user."""
    return db.session.scalar(_profile_version_select(), {"user_id": user_id})


def bump_profile_versions(*user_ids: int) -> None:
    """+1 for each of these users, in the caller's transaction."""
    users = User.__table__
    db.session.execute(
        update(users).where(users.c.id.in_(sorted(set(user_ids))))
        .values(profile_version=users.c.profile_version + 1)
        .execution_options(synchronize_session=False)
    )


@cache
def _collection_versions_select():
    collections = Collection.__table__
    return select(collections.c.version, _catalogue_version_select().scalar_subquery()).where(
        collections.c.id == bindparam("collection_id", type_=collections.c.id.type),
        or_(collections.c.public.is_(True),
            collections.c.user_id == bindparam("viewer_id", type_=collections.c.user_id.type)),
    )


def collection_versions(collection_id: int, viewer_id: int) -> tuple[int, int] | None:
    """(the collection's version, the catalogue's) in one statement, or None when the viewer cannot see it."""
    row = db.session.execute(_collection_versions_select(),
                             {"collection_id": collection_id, "viewer_id": viewer_id}).first()
    return None if row is None else (row[0], row[1] or 0)
