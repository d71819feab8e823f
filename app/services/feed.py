"""Activity feeds: what the people you follow did (following), and what everyone else did (explore).

Both are newest first with keyset pagination on (created_at, id). A page is loaded in a fixed
number of queries whatever its size: the activities, their actors, and one query per action type
present for the targets (see TARGETS).

The following feed is fan-out on read. On PostgreSQL a page first tries a bounded backward scan of
ix_activities_created (BoundedScan) and falls back to a per-followee top-N through CROSS JOIN LATERAL on
ix_activities_actor_created when the scan's budget runs out, so a page costs about the same at any depth;
docs/performance.md ("Feeds") has the figures and how this moves to fan-out on write.
"""
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import and_, func, or_, select, true, tuple_
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import Activity, Collection, Comment, Follow, Like, Review, Song, User
from app.pagination import Page, decode_cursor, paginate
from app.services import activities as actions

# The bounded scan reads at most this many of the newest activities past the cursor per item of the page.
SCAN_ROWS_PER_ITEM = 100


def following_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Public activities of the users `user` follows, as Activity objects with `actor` and `target`."""
    return _following(user, _objects, limit=limit, cursor=cursor, page=page, per=per)


def following_feed_rows(user: User, *, limit: int, cursor: str | None = None) -> Page:
    """The same page as rows (no ORM objects): each item has the activity's columns, `actor_username`,
    `actor_profile_picture_key` and `target` (for app.schemas.feed.dump_activity_row)."""
    return _following(user, _rows, limit=limit, cursor=cursor)


def _following(user, load, *, limit, cursor=None, page=None, per=None) -> Page:
    """On PostgreSQL a page first tries the bounded scan; when that reads its whole budget without filling the
    page, the per-followee top-N, which is exact at any depth. See docs/performance.md ("Feeds")."""
    paging = {"limit": limit, "cursor": cursor, "page": page, "per": per}
    if db.session.get_bind().dialect.name != "postgresql":
        stmt = (
            select(Activity)
            .join(Follow, Follow.followed_id == Activity.actor_id)
            .where(Follow.follower_id == user.id, Activity.public)
        )
        return load(stmt, Activity, **paging)
    after = tuple_(Activity.created_at, Activity.id) < tuple(decode_cursor(cursor, 2)) if cursor else None
    if page is None:
        scan = BoundedScan(user, limit, after)
        result = load(scan.statement, scan.activity, extra=scan.extra, keep=scan.keep, **paging)
        if result.next_cursor or not scan.exhausted:
            return result
    # Each followee contributes at most one page's worth of its newest rows past the cursor.
    per_followee = limit + 1
    inner = select(Activity).where(Activity.actor_id == Follow.followed_id, Activity.public)
    if after is not None:
        inner = inner.where(after)
    elif page is not None:
        per_followee = page * (per or limit) + 1
    inner = inner.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(per_followee)
    recent = inner.subquery("recent").lateral()
    activity = aliased(Activity, recent)
    stmt = select(activity).select_from(Follow).join(recent, true()).where(Follow.follower_id == user.id)
    return load(stmt, activity, **paging)


class BoundedScan:
    """Walk ix_activities_created backwards from the cursor over at most `budget` rows, keeping the followees'.

    A full page from it is exact: anything it did not read is older. The last row of the budget comes back as a
    sentinel (`scan_rank == budget`), so a short page tells whether the table simply ended (exact too) or the
    budget did (`exhausted`: the caller falls back to the lateral plan).
    """

    def __init__(self, user, limit, after):
        self.budget = SCAN_ROWS_PER_ITEM * (limit + 1)
        order = (Activity.created_at.desc(), Activity.id.desc())
        window = select(Activity, func.row_number().over(order_by=order).label("scan_rank"))
        if after is not None:
            window = window.where(after)
        window = window.order_by(*order).limit(self.budget).subquery("recent")
        self.activity = activity = aliased(Activity, window)
        followees = select(Follow.followed_id).where(Follow.follower_id == user.id)
        matched = and_(activity.actor_id.in_(followees), activity.public)
        self.statement = select(activity).where(or_(matched, window.c.scan_rank == self.budget))
        self.extra = (matched.label("matched"), window.c.scan_rank)
        self.exhausted = False

    def keep(self, rows):
        self.exhausted = any(row.scan_rank == self.budget for row in rows)
        return [row for row in rows if row.matched]


def explore_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Everyone's public activities except `user`'s own."""
    stmt = select(Activity).where(Activity.actor_id != user.id, Activity.public)
    return _objects(stmt, Activity, limit=limit, cursor=cursor, page=page, per=per)


def _objects(stmt, activity, *, extra=(), keep=list, **paging) -> Page:
    stmt = stmt.with_only_columns(activity, *extra).options(selectinload(activity.actor))
    result = paginate(
        stmt, key_columns=[activity.created_at, activity.id], key=lambda a: (a.created_at, a.id),
        execute=lambda s: [row[0] for row in keep(db.session.execute(s).all())], **paging,
    )
    result.items = attach_targets(result.items)
    return result


def _rows(stmt, activity, *, extra=(), keep=list, **paging) -> Page:
    columns = [
        activity.id, activity.action_type, activity.created_at, activity.actor_id,
        *(getattr(activity, loader.source) for loader in TARGETS.values()),
        User.username.label("actor_username"), User.profile_picture_key.label("actor_profile_picture_key"),
    ]
    stmt = stmt.with_only_columns(*columns, *extra).join(User, User.id == activity.actor_id)
    result = paginate(
        stmt, key_columns=[activity.created_at, activity.id], key=lambda a: (a.created_at, a.id),
        execute=lambda s: [SimpleNamespace(**row._mapping) for row in keep(db.session.execute(s).all())], **paging,
    )
    result.items = attach_targets(result.items)
    return result


# --- Targets: action type -> where its source row is and how to summarise what it points at --------


@dataclass(frozen=True)
class TargetLoader:
    source: str  # the Activity column naming the record behind the activity
    load: Callable[[list[int]], dict[int, dict]]  # source ids -> target summaries, in one query


def _followed_users(follow_ids):
    rows = db.session.execute(
        select(Follow.id, User.id, User.username).join(User, User.id == Follow.followed_id)
        .where(Follow.id.in_(follow_ids))
    )
    return {fid: {"type": "User", "id": uid, "username": username} for fid, uid, username in rows}


def _reviewed_songs(review_ids):
    rows = db.session.execute(
        select(Review.id, Song.id, Song.title, Song.artist_name).join(Song, Song.id == Review.song_id)
        .where(Review.id.in_(review_ids))
    )
    return {rid: _song(sid, title, artist) for rid, sid, title, artist in rows}


def _liked_things(like_ids):
    rows = db.session.execute(
        select(Like.id, Review.id, Review.rating, Review.song_id, Song.id, Song.title, Song.artist_name)
        .outerjoin(Review, Review.id == Like.review_id)
        .outerjoin(Song, Song.id == Like.song_id)
        .where(Like.id.in_(like_ids))
    )
    return {
        lid: _review(rid, rating, song_id) if rid is not None else _song(sid, title, artist)
        for lid, rid, rating, song_id, sid, title, artist in rows
    }


def _commented_reviews(comment_ids):
    rows = db.session.execute(
        select(Comment.id, Review.id, Review.rating, Review.song_id).join(Review, Review.id == Comment.review_id)
        .where(Comment.id.in_(comment_ids))
    )
    return {cid: _review(rid, rating, song_id) for cid, rid, rating, song_id in rows}


def _created_collections(collection_ids):
    rows = db.session.execute(select(Collection.id, Collection.title).where(Collection.id.in_(collection_ids)))
    return {cid: {"type": "Collection", "id": cid, "title": title} for cid, title in rows}


def _song(song_id, title, artist_name):
    return {"type": "Song", "id": song_id, "title": title, "artist_name": artist_name}


def _review(review_id, rating, song_id):
    return {"type": "Review", "id": review_id, "rating": rating, "song_id": song_id}


TARGETS = {
    actions.FOLLOWED: TargetLoader("follow_id", _followed_users),
    actions.REVIEWED: TargetLoader("review_id", _reviewed_songs),
    actions.LIKED: TargetLoader("like_id", _liked_things),
    actions.COMMENTED: TargetLoader("comment_id", _commented_reviews),
    actions.CREATED_COLLECTION: TargetLoader("collection_id", _created_collections),
}


def attach_targets(items: list[Activity]) -> list[Activity]:
    """Set `target` on each activity; one query per action type on the page. Items whose target is gone are dropped."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        loader = TARGETS.get(item.action_type)
        source_id = loader and getattr(item, loader.source)
        if source_id is not None:
            wanted.setdefault(item.action_type, set()).add(source_id)
    found = {action: TARGETS[action].load(sorted(ids)) for action, ids in wanted.items()}
    kept = []
    for item in items:
        loader = TARGETS.get(item.action_type)
        target = loader and found.get(item.action_type, {}).get(getattr(item, loader.source))
        if target:
            item.target = target
            kept.append(item)
    return kept
