"""Data exports: a user's whole history as one JSON document, written in the background.

`request_export` records the export and queues `app.jobs.exports.run_export` (one export under way
per user at a time, at most `EXPORTS_PER_DAY` a day); the job calls `write_export`, which streams
the document to a temporary file (rows read in batches, each encoded on its own, so memory stays
flat however long the history is), hands the file to the storage backend (which streams it too),
and keeps it for `EXPORT_RETENTION`. The clean-up job deletes expired exports and their files.
"""
import json
import logging
import math
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import cache
from typing import BinaryIO

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, NotFound, RateLimited
from app.extensions import db
from app.models import (
    Activity,
    Collection,
    CollectionItem,
    Comment,
    Export,
    Follow,
    Like,
    Review,
    Song,
    User,
    utcnow,
)
from app.queue import enqueue
from app.services.feed import activity_rows, target_of
from app.services.media import get_storage, media_url
from app.services.storage import new_key
from app.services.users import get_profile

log = logging.getLogger(__name__)

EXPORT_RETENTION = timedelta(days=7)
BATCH_SIZE = 500
FAILED_MESSAGE = "The export could not be written. Please request a new one."

PENDING = ("queued", "started")
EXPORTS_PER_DAY = 5
QUOTA_WINDOW = timedelta(days=1)
# A job runs at most the default queue's timeout (10 min): an export still queued or started an hour after it
# was requested has lost its job (a worker killed mid-job, a Redis that forgot its queue). The next request
# replaces it, rather than answering with it forever.
LOST_AFTER = timedelta(hours=1)
LOST_MESSAGE = "The export did not finish. Please request a new one."


def request_export(user: User) -> Export:
    """The user's export under way if there is one, else a new queued export and its job.

    RateLimited past EXPORTS_PER_DAY exports in 24 hours. Race-safe: the unique index on a user's pending export
    (uq_exports_user_pending) lets one of concurrent requests insert; the others get its export.
    """
    for _attempt in range(3):
        now = utcnow()
        _fail_lost_exports(user.id, now)
        export = Export(id=uuid.uuid4().hex, user_id=user.id, status="queued", created_at=now)
        db.session.add(export)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            pending = db.session.scalar(
                select(Export).where(Export.user_id == user.id, Export.status.in_(PENDING))
            )
            if pending is not None:
                return pending
            continue  # it ended between our insert and this read: try again
        _check_daily_quota(user.id, now)
        db.session.commit()
        break
    else:
        raise Conflict("Exports of this account are changing fast; please try again.")
    try:
        enqueue("default", "app.jobs.exports.run_export", export.id, job_id=export.id)
    except Exception:
        # The queue is down: the client gets a 503 and never learns this export's id, so the row must neither
        # block the next request as "queued" nor count against the day's quota.
        db.session.delete(export)
        db.session.commit()
        raise
    return export


def _fail_lost_exports(user_id: int, now: datetime) -> None:
    db.session.execute(
        update(Export)
        .where(Export.user_id == user_id, Export.status.in_(PENDING), Export.created_at <= now - LOST_AFTER)
        .values(status="failed", error=LOST_MESSAGE, finished_at=now, expires_at=now + EXPORT_RETENTION)
    )


def _check_daily_quota(user_id: int, now: datetime) -> None:
    """Counted after the new row is in: its insert orders concurrent requests (SQLite's write lock, the pending
    index on PostgreSQL), so every earlier export of the user is already committed and counted."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(Export.created_at))
        .where(Export.user_id == user_id, Export.created_at > now - QUOTA_WINDOW)
    ).one()
    if count <= EXPORTS_PER_DAY:
        return
    db.session.rollback()
    retry_after = max(1, math.ceil((oldest + QUOTA_WINDOW - now).total_seconds()))
    raise RateLimited(
        f"At most {EXPORTS_PER_DAY} exports a day; the next one is possible in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


def get_export(user_id: int, export_id: str) -> Export:
    """One of the user's exports, with `download_url` once finished; expired or another user's: NotFound."""
    export = db.session.scalar(select(Export).where(Export.id == export_id, Export.user_id == user_id))
    if export is None or (export.expires_at is not None and export.expires_at <= utcnow()):
        raise NotFound("No such export (exports are kept for 7 days).")
    export.download_url = None
    if export.status == "finished" and export.storage_key:
        export.download_url = media_url(export.storage_key)
    return export


def write_export(export_id: str) -> None:
    """Write the export's document to storage; the row ends `finished` or `failed`. Rerunning a
    finished or failed export does nothing."""
    export = db.session.get(Export, export_id)
    if export is None or export.status not in ("queued", "started"):
        return
    export.status = "started"
    db.session.commit()
    user_id = export.user_id
    storage = get_storage()
    key = new_key("exports", "json")
    try:
        with tempfile.TemporaryFile(prefix="listify-export-") as document:
            write_document(user_id, document)
            document.seek(0)
            storage.save(key, document, "application/json")
        now = utcnow()
        export.status, export.storage_key = "finished", key
        export.finished_at, export.expires_at = now, now + EXPORT_RETENTION
        db.session.commit()
    except Exception:
        log.exception("Export %s of user %s failed", export_id, user_id)
        db.session.rollback()
        try:
            storage.delete(key)
        except Exception:
            log.exception("Could not delete the partial export object %s", key)
        export = db.session.get(Export, export_id)
        if export is not None:
            _mark_failed(export, FAILED_MESSAGE)
        raise


def _mark_failed(export: Export, message: str) -> None:
    now = utcnow()
    export.status, export.error = "failed", message
    export.finished_at, export.expires_at = now, now + EXPORT_RETENTION
    db.session.commit()


# --- the document -------------------------------------------------------------------------


def write_document(user_id: int, out: BinaryIO, *, batch_size: int = BATCH_SIZE) -> None:
    """Write `{"exported_at", "user", "activities", "reviews", "likes", "comments", "collections",
    "following", "followers"}` to `out`, one item at a time."""
    out.write(b'{"exported_at":' + _encode(utcnow()))
    out.write(b',"user":' + _encode(_profile(user_id)))
    sections = {
        "activities": _activities(user_id, batch_size),
        "reviews": _reviews(user_id, batch_size),
        "likes": _likes(user_id, batch_size),
        "comments": _comments(user_id, batch_size),
    }
    for name, items in sections.items():
        _write_array(out, name, items)
    _write_collections(out, user_id, batch_size)
    _write_array(out, "following", _follows(user_id, batch_size, following=True))
    _write_array(out, "followers", _follows(user_id, batch_size, following=False))
    out.write(b"}")


def _encode(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default, separators=(",", ":")).encode("utf-8")


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_array(out: BinaryIO, name: str, items: Iterable[dict]) -> None:
    out.write(b',"' + name.encode() + b'":[')
    for index, item in enumerate(items):
        out.write(b"," + _encode(item) if index else _encode(item))
    out.write(b"]")


def _rows(stmt, batch_size: int, params: dict | None = None) -> Iterator:
    # yield_per: rows come in batches (a server-side cursor on PostgreSQL), never all at once.
    yield from db.session.execute(stmt.execution_options(yield_per=batch_size), params)


def _profile(user_id: int) -> dict:
    user = get_profile(user_id, user_id)
    return {
        "id": user.id, "username": user.username, "email": user.email, "bio": user.bio,
        "is_admin": user.is_admin, "created_at": user.created_at,
        "followers_count": user.followers_count, "following_count": user.following_count,
    }


@cache
def _activities_statement():
    # The feeds' one listing of activities (actor and target joined), here all of one actor's, in id order.
    activities = Activity.__table__
    mine = select(activities.c.id, activities.c.created_at).where(
        activities.c.actor_id == bindparam("user_id", type_=activities.c.actor_id.type)
    )
    return activity_rows(mine, newest_first=False)


def _activities(user_id: int, batch_size: int) -> Iterator[dict]:
    for row in _rows(_activities_statement(), batch_size, {"user_id": user_id}):
        target = target_of(row)
        yield {
            "id": row.id, "action_type": row.action_type, "public": row.public, "created_at": row.created_at,
            "target": target and {"type": target["type"], "id": target["id"]},
        }


def _reviews(user_id: int, batch_size: int) -> Iterator[dict]:
    stmt = (
        select(
            Review.id, Review.song_id, Song.title, Song.artist_name, Review.rating, Review.review_text,
            Review.created_at, Review.updated_at,
        )
        .join(Song, Song.id == Review.song_id)
        .where(Review.user_id == user_id)
        .order_by(Review.id)
    )
    for row in _rows(stmt, batch_size):
        yield {
            "id": row.id, "song": {"id": row.song_id, "title": row.title, "artist_name": row.artist_name},
            "rating": row.rating, "review_text": row.review_text,
            "created_at": row.created_at, "updated_at": row.updated_at,
        }


def _likes(user_id: int, batch_size: int) -> Iterator[dict]:
    stmt = (
        select(Like.id, Like.likeable_type, Like.review_id, Like.song_id, Like.created_at)
        .where(Like.user_id == user_id)
        .order_by(Like.id)
    )
    for row in _rows(stmt, batch_size):
        yield {
            "id": row.id, "likeable_type": row.likeable_type,
            "likeable_id": row.review_id if row.likeable_type == "Review" else row.song_id,
            "created_at": row.created_at,
        }


def _comments(user_id: int, batch_size: int) -> Iterator[dict]:
    stmt = (
        select(Comment.id, Comment.review_id, Comment.text, Comment.created_at)
        .where(Comment.user_id == user_id)
        .order_by(Comment.id)
    )
    for row in _rows(stmt, batch_size):
        yield {"id": row.id, "review_id": row.review_id, "text": row.text, "created_at": row.created_at}


def _write_collections(out: BinaryIO, user_id: int, batch_size: int) -> None:
    """Each collection with its `items` in position order, streamed item by item from one query."""
    stmt = (
        select(
            Collection.id, Collection.title, Collection.description, Collection.public,
            Collection.created_at, Collection.updated_at,
            CollectionItem.position, CollectionItem.added_at, Song.id.label("song_id"),
            Song.title.label("song_title"), Song.artist_name,
        )
        .outerjoin(CollectionItem, CollectionItem.collection_id == Collection.id)
        .outerjoin(Song, Song.id == CollectionItem.song_id)
        .where(Collection.user_id == user_id)
        .order_by(Collection.id, CollectionItem.position)
    )
    out.write(b',"collections":[')
    current, first_item = None, True
    for row in _rows(stmt, batch_size):
        if row.id != current:
            if current is not None:
                out.write(b"]},")
            header = _encode({
                "id": row.id, "title": row.title, "description": row.description, "public": row.public,
                "created_at": row.created_at, "updated_at": row.updated_at,
            })
            out.write(header[:-1] + b',"items":[')  # the header object, left open for its items
            current, first_item = row.id, True
        if row.song_id is not None:
            item = _encode({
                "position": row.position, "added_at": row.added_at,
                "song": {"id": row.song_id, "title": row.song_title, "artist_name": row.artist_name},
            })
            out.write(item if first_item else b"," + item)
            first_item = False
    if current is not None:
        out.write(b"]}")
    out.write(b"]")


def _follows(user_id: int, batch_size: int, *, following: bool) -> Iterator[dict]:
    """The users `user_id` follows (following=True) or who follow them, oldest follow first."""
    mine, theirs = (Follow.follower_id, Follow.followed_id) if following else (Follow.followed_id, Follow.follower_id)
    stmt = (
        select(User.id, User.username, Follow.created_at)
        .join(Follow, theirs == User.id)
        .where(mine == user_id)
        .order_by(Follow.id)
    )
    for row in _rows(stmt, batch_size):
        yield {"id": row.id, "username": row.username, "followed_at": row.created_at}
