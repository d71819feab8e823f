"""Collections: ordered, public or private lists of songs.

Positions run 1..n without gaps. Every change first bumps the collection's `version` (`_change`): that UPDATE
locks the row on PostgreSQL and takes the database's write lock on SQLite (one writer at a time) before
positions are read, and it checks If-Match in the same statement. Positions are then shifted with single UPDATE
statements, so concurrent adds and moves stay consistent.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from app.extensions import db
from app.models import Collection, CollectionItem, Song, User, utcnow
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate
from app.services import activities
from app.services.catalogue import song_rows_select
from app.services.users import ensure_user_exists

COLLECTIONS_KEYSET = Keyset("collections", (datetime, int))


@dataclass
class ItemPlace:
    collection_id: int
    song_id: int
    position: int


def _item_count():
    return select(func.count()).where(CollectionItem.collection_id == Collection.id).scalar_subquery()


def _with_counts(rows) -> list[Collection]:
    collections = []
    for collection, item_count in rows:
        collection.item_count = item_count
        collections.append(collection)
    return collections


def _visible(collection: Collection | None, viewer_id: int) -> bool:
    return collection is not None and (collection.public or collection.user_id == viewer_id)


def create_collection(actor: User, title: str, description: str = "", public: bool = True) -> Collection:
    collection = Collection(user_id=actor.id, title=title, description=description, public=public)
    db.session.add(collection)
    db.session.flush()
    activities.record_activity(
        actor.id, activities.CREATED_COLLECTION, collection_id=collection.id, public=collection.public
    )
    db.session.commit()
    return get_collection(collection.id, actor.id)


@cache
def _collections_statement(only_public: bool, mode: str):
    stmt = select(Collection, _item_count().label("item_count")).where(
        Collection.user_id == bindparam("user_id", type_=Collection.user_id.type)
    )
    if only_public:
        stmt = stmt.where(Collection.public.is_(True))
    return keyset_statement(stmt, [Collection.created_at, Collection.id], mode)


def list_collections(viewer_id: int, paging: Paging, user_id: int | None = None) -> Page:
    """Your collections (private ones too), or another user's public ones; newest first."""
    theirs = user_id is not None and user_id != viewer_id
    if theirs:
        ensure_user_exists(user_id, field="user_id")
    result = paginate(_collections_statement(theirs, paging.mode), paging, COLLECTIONS_KEYSET,
                      key=lambda row: (row.Collection.created_at, row.Collection.id),
                      params={"user_id": user_id if theirs else viewer_id})
    result.items = _with_counts(result.items)
    return result


@cache
def _items_statement():
    """A collection's entries: song rows with their position, in position order."""
    items = CollectionItem.__table__
    return (
        song_rows_select(items.c.position.label("position"))
        .join(items, items.c.song_id == Song.__table__.c.id)
        .where(items.c.collection_id == bindparam("collection_id", type_=items.c.collection_id.type))
        .order_by(items.c.position)
    )


def get_collection(collection_id: int, viewer_id: int) -> Collection:
    """A collection with its entries (`entries`: song rows with `position`) in position order; someone else's
    private collection does not exist."""
    row = db.session.execute(
        select(Collection, _item_count().label("item_count")).where(Collection.id == collection_id)
    ).first()
    if row is None or not _visible(row.Collection, viewer_id):
        raise NotFound("No such collection.")
    collection = _with_counts([row])[0]
    collection.entries = db.session.execute(_items_statement(), {"collection_id": collection_id}).all()
    return collection


def _change(actor: User, collection_id: int, expected_versions: list[int] | None = None) -> int:
    """The first statement of every change: bumps the actor's collection's version (if it is still one of
    `expected_versions`, the If-Match precondition; None: any) and returns the new one. The UPDATE locks the row
    on PostgreSQL and takes the write lock on SQLite before positions are read, and it checks the precondition
    in the same statement, so of two changes made from the same version one wins and the other is a 412.
    Someone else's collection is 404 when private and 403 when public."""
    stmt = update(Collection).where(Collection.id == collection_id, Collection.user_id == actor.id)
    if expected_versions is not None:
        stmt = stmt.where(Collection.version.in_(expected_versions))
    version = db.session.scalar(
        stmt.values(version=Collection.version + 1, updated_at=utcnow())
        .returning(Collection.version).execution_options(synchronize_session=False)
    )
    if version is not None:
        return version
    db.session.rollback()
    collection = db.session.get(Collection, collection_id)
    if not _visible(collection, actor.id):
        raise NotFound("No such collection.")
    if collection.user_id != actor.id:
        raise Forbidden("Only the owner can change this collection.")
    raise PreconditionFailed("The collection changed since this If-Match ETag: nothing was changed.")


def update_collection(actor: User, collection_id: int, changes: dict, expected_versions=None) -> Collection:
    _change(actor, collection_id, expected_versions)
    collection = db.session.get(Collection, collection_id, populate_existing=True)
    for name in ("title", "description"):
        if name in changes:
            setattr(collection, name, changes[name])
    if "public" in changes and changes["public"] != collection.public:
        collection.public = changes["public"]
        activities.set_collection_visibility(collection.id, collection.public)
    db.session.commit()
    return get_collection(collection_id, actor.id)


def delete_collection(actor: User, collection_id: int, expected_versions=None) -> None:
    """Deletes the collection with its items and activities (ON DELETE CASCADE)."""
    _change(actor, collection_id, expected_versions)
    db.session.execute(delete(Collection).where(Collection.id == collection_id))
    db.session.commit()


def _count(collection_id: int) -> int:
    return db.session.scalar(select(func.count()).where(CollectionItem.collection_id == collection_id))


def _shift(collection_id: int, by: int, *conditions) -> None:
    db.session.execute(
        update(CollectionItem)
        .where(CollectionItem.collection_id == collection_id, *conditions)
        .values(position=CollectionItem.position + by)
        .execution_options(synchronize_session=False)
    )


def add_item(actor: User, collection_id: int, song_id: int, position: int | None = None,
             expected_versions=None) -> ItemPlace:
    """Put a song at `position` (default, or beyond the end: the end); the songs from there move down."""
    _change(actor, collection_id, expected_versions)
    end = _count(collection_id) + 1
    position = end if position is None else min(position, end)
    _shift(collection_id, +1, CollectionItem.position >= position)
    try:
        db.session.execute(insert(CollectionItem).values(
            collection_id=collection_id, song_id=song_id, position=position, added_at=utcnow(),
        ))
    except IntegrityError:
        db.session.rollback()
        if db.session.get(Song, song_id) is None:
            raise NotFound("No such song.", field="song_id") from None
        raise Conflict("This song is already in the collection.", field="song_id") from None
    db.session.commit()
    return ItemPlace(collection_id, song_id, position)


def _position_of(collection_id: int, song_id: int) -> int:
    position = db.session.scalar(select(CollectionItem.position).where(
        CollectionItem.collection_id == collection_id, CollectionItem.song_id == song_id,
    ))
    if position is None:
        raise NotFound("This song is not in the collection.")
    return position


def move_item(actor: User, collection_id: int, song_id: int, position: int, expected_versions=None) -> ItemPlace:
    """Move a song to `position` (beyond the end: the last place); the songs in between shift by one."""
    _change(actor, collection_id, expected_versions)
    old = _position_of(collection_id, song_id)
    new = min(position, _count(collection_id))
    if new < old:
        _shift(collection_id, +1, CollectionItem.position >= new, CollectionItem.position < old)
    elif new > old:
        _shift(collection_id, -1, CollectionItem.position > old, CollectionItem.position <= new)
    db.session.execute(
        update(CollectionItem)
        .where(CollectionItem.collection_id == collection_id, CollectionItem.song_id == song_id)
        .values(position=new)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return ItemPlace(collection_id, song_id, new)


def remove_item(actor: User, collection_id: int, song_id: int, expected_versions=None) -> None:
    """Take a song out; the songs after it move up."""
    _change(actor, collection_id, expected_versions)
    old = _position_of(collection_id, song_id)
    db.session.execute(
        delete(CollectionItem)
        .where(CollectionItem.collection_id == collection_id, CollectionItem.song_id == song_id)
        .execution_options(synchronize_session=False)
    )
    _shift(collection_id, -1, CollectionItem.position > old)
    db.session.commit()
