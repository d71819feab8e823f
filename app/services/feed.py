"""Activity feeds: what the people you follow did (following), and what everyone else did (explore).

Both are newest first with keyset pagination on (created_at, id). A page is loaded in a fixed
number of queries whatever its size: the activities, their actors, and one query per action type
present for the targets (see TARGETS).

The following feed is fan-out on read. On PostgreSQL it takes a per-followee top-N through
CROSS JOIN LATERAL on ix_activities_actor_created, so a page costs about the same at any depth;
docs/performance.md ("Feeds") has the figures and how this moves to fan-out on write.
"""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, true, tuple_
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import Activity, Collection, Comment, Follow, Like, Review, Song, User
from app.pagination import Page, decode_cursor, paginate
from app.services import activities as actions


def following_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Public activities of the users `user` follows."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Each followee contributes at most one page's worth of its newest rows past the cursor.
        per_followee = limit + 1
        inner = select(Activity).where(Activity.actor_id == Follow.followed_id, Activity.public)
        if cursor:
            inner = inner.where(tuple_(Activity.created_at, Activity.id) < tuple(decode_cursor(cursor, 2)))
        elif page is not None:
            per_followee = page * (per or limit) + 1
        inner = inner.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(per_followee)
        recent = inner.subquery("recent").lateral()
        activity = aliased(Activity, recent)
        stmt = select(activity).select_from(Follow).join(recent, true()).where(Follow.follower_id == user.id)
    else:
        activity = Activity
        stmt = (
            select(Activity)
            .join(Follow, Follow.followed_id == Activity.actor_id)
            .where(Follow.follower_id == user.id, Activity.public)
        )
    return _page(stmt, activity, limit=limit, cursor=cursor, page=page, per=per)


def explore_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Everyone's public activities except `user`'s own."""
    stmt = select(Activity).where(Activity.actor_id != user.id, Activity.public)
    return _page(stmt, Activity, limit=limit, cursor=cursor, page=page, per=per)


def _page(stmt, activity, **paging) -> Page:
    stmt = stmt.options(selectinload(activity.actor))
    result = paginate(
        stmt, key_columns=[activity.created_at, activity.id], key=lambda a: (a.created_at, a.id), **paging
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
