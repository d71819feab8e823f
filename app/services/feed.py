"""Activity feeds: what the people you follow did (following), and what everyone else did (explore).

Both are newest first with keyset pagination on (created_at, id), for v1 (also its legacy offset) and v2 alike. A
page is one statement: a subquery picks the page's activity ids, and `activity_rows` LEFT JOINs each to its actor
and its target (target_joins); `FeedItem`s come out, whose dump is ActivitySchema's (or its lean twin,
app.schemas.feed.dump_activity_row). Exports list a user's activities through the same `activity_rows`.

The following feed is fan-out on read. On PostgreSQL a page first tries a bounded backward scan of
ix_activities_created (`_bounded_scan`) and falls back to a per-followee top-N through CROSS JOIN LATERAL on
ix_activities_actor_created (`_per_followee`) when the scan's budget runs out, so a page costs about the same at any
depth; docs/performance.md ("Feeds") has the figures and how this moves to fan-out on write.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select, true

from app.extensions import db
from app.models import Activity, Collection, Comment, Follow, Like, Review, Song, User
from app.pagination import FIRST, OFFSET, Keyset, Page, Paging, keyset_page, keyset_statement
from app.services import activities as actions

FOLLOWING_KEYSET = Keyset("following_feed", (datetime, int))
EXPLORE_KEYSET = Keyset("explore_feed", (datetime, int))

# The bounded scan reads at most this many of the newest activities past the cursor per item of the page.
SCAN_ROWS_PER_ITEM = 100

_activities, _follows, _users = Activity.__table__, Follow.__table__, User.__table__
_KEY = (_activities.c.created_at, _activities.c.id)


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    profile_picture_key: str | None


@dataclass(frozen=True)
class FeedItem:
    id: int
    action_type: str
    created_at: datetime
    public: bool
    actor: Actor
    target: dict


def following_feed(user, paging: Paging) -> Page:
    """Public activities of the users `user` follows."""
    params = {"me": user.id}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql" and paging.mode != OFFSET:
        budget = {"budget": SCAN_ROWS_PER_ITEM * (paging.limit + 1)}
        rows = _rows(_following_statement(dialect, paging.mode, scan=True), paging, {**params, **budget})
        if len(rows) > paging.limit:  # a full page from the scan is exact: whatever it did not read is older
            return _page(rows, paging, FOLLOWING_KEYSET)
    if dialect == "postgresql" and paging.mode == OFFSET:
        params["followee_limit"] = paging.offset + paging.limit + 1
    return _page(_rows(_following_statement(dialect, paging.mode), paging, params), paging, FOLLOWING_KEYSET)


def explore_feed(user, paging: Paging) -> Page:
    """Everyone's public activities except `user`'s own."""
    return _page(_rows(_explore_statement(paging.mode), paging, {"me": user.id}), paging, EXPLORE_KEYSET)


def _rows(statement, paging: Paging, params: dict) -> list:
    return db.session.execute(statement, {**params, **paging.params()}).all()


def _page(rows, paging: Paging, keyset: Keyset) -> Page:
    page = keyset_page(rows, paging.limit, keyset, key=lambda row: (row.created_at, row.id))
    page.items = [item for item in map(feed_item, page.items) if item.target]  # a target deleted in a race
    return page


def _me():
    return bindparam("me", type_=_follows.c.follower_id.type)


@cache
def _following_statement(dialect: str, mode: str, scan: bool = False):
    """Parameters: :me, the page's own, and :budget (the scan) or :followee_limit (PostgreSQL's legacy offset)."""
    if dialect != "postgresql":
        page = (
            select(*_KEY).join(_follows, _follows.c.followed_id == _activities.c.actor_id)
            .where(_follows.c.follower_id == _me(), _activities.c.public)
        )
        return activity_rows(keyset_statement(page, _KEY, mode))
    return activity_rows(_bounded_scan(mode) if scan else _per_followee(mode))


def _bounded_scan(mode: str):
    """The followees' among the newest :budget activities past the cursor, read from the index alone
    (ix_activities_created (created_at, id) INCLUDE (actor_id, public)): the rows it skips never touch the table.
    A full page (limit + 1 rows) is exact; a shorter one may not be (the budget ran out first)."""
    window = select(*_KEY, _activities.c.actor_id, _activities.c.public)
    recent = keyset_statement(window, _KEY, mode, limit="budget").subquery("recent")
    followees = select(_follows.c.followed_id).where(_follows.c.follower_id == _me())
    page = select(recent.c.id, recent.c.created_at).where(recent.c.actor_id.in_(followees), recent.c.public)
    return keyset_statement(page, (recent.c.created_at, recent.c.id), FIRST)


def _per_followee(mode: str):
    """Each followee's newest public activities past the cursor (a page's worth, or for the legacy offset all up to
    the end of the requested page), merged: exact at any depth, bounded by followees × page."""
    inner = select(*_KEY).where(_activities.c.actor_id == _follows.c.followed_id, _activities.c.public)
    if mode == OFFSET:
        inner = keyset_statement(inner, _KEY, FIRST, limit="followee_limit")
    else:
        inner = keyset_statement(inner, _KEY, mode)
    recent = inner.subquery("recent").lateral()
    page = select(recent.c.id, recent.c.created_at).select_from(_follows).join(recent, true()).where(
        _follows.c.follower_id == _me()
    )
    return keyset_statement(page, (recent.c.created_at, recent.c.id), OFFSET if mode == OFFSET else FIRST)


@cache
def _explore_statement(mode: str):
    page = select(*_KEY).where(_activities.c.actor_id != _me(), _activities.c.public)
    return activity_rows(keyset_statement(page, _KEY, mode))


def activity_rows(page, *, newest_first: bool = True):
    """SELECT the activities of `page` (a SELECT of activity ids and created_at) with their actor's name and picture
    and their target's columns, newest first (or in id order): one statement, LEFT JOINs on the page's rows only."""
    page = page.subquery("page")
    activity, actor = _activities.alias("activity"), _users.alias("actor")
    joined, target_columns = target_joins(
        activity, page.join(activity, activity.c.id == page.c.id).join(actor, actor.c.id == activity.c.actor_id)
    )
    order = (page.c.created_at.desc(), page.c.id.desc()) if newest_first else (page.c.id,)
    return (
        select(
            activity.c.id, activity.c.action_type, activity.c.created_at, activity.c.public, activity.c.actor_id,
            actor.c.username.label("actor_username"), actor.c.profile_picture_key.label("actor_profile_picture_key"),
            *target_columns,
        )
        .select_from(joined)
        .order_by(*order)
    )


def feed_item(row) -> FeedItem:
    """A row of activity_rows as a FeedItem (`target` None: the target is gone)."""
    return FeedItem(
        id=row.id, action_type=row.action_type, created_at=row.created_at, public=row.public,
        actor=Actor(row.actor_id, row.actor_username, row.actor_profile_picture_key), target=target_of(row),
    )


# --- Targets: what each action type points at, LEFT JOINed from the activity, and its summary --------
# A new action type: a constant in app.services.activities (with its column on Activity), its LEFT JOINs and
# labelled columns in target_joins, and its summary in TARGET_SUMMARIES.


def target_joins(activity, from_clause):
    """`from_clause` (which contains the activities alias `activity`) LEFT JOINed to every action type's target,
    and the target columns, labelled `t_*`. Only one action type's joins match for a given row."""
    follow, followed = Follow.__table__.alias("t_follow"), User.__table__.alias("t_followed")
    review, reviewed_song = Review.__table__.alias("t_review"), Song.__table__.alias("t_reviewed_song")
    like, liked_review, liked_song = (
        Like.__table__.alias("t_like"), Review.__table__.alias("t_liked_review"), Song.__table__.alias("t_liked_song")
    )
    comment, commented_review = Comment.__table__.alias("t_comment"), Review.__table__.alias("t_commented_review")
    collection = Collection.__table__.alias("t_collection")
    joined = (
        from_clause
        .outerjoin(follow, follow.c.id == activity.c.follow_id)
        .outerjoin(followed, followed.c.id == follow.c.followed_id)
        .outerjoin(review, review.c.id == activity.c.review_id)
        .outerjoin(reviewed_song, reviewed_song.c.id == review.c.song_id)
        .outerjoin(like, like.c.id == activity.c.like_id)
        .outerjoin(liked_review, liked_review.c.id == like.c.review_id)
        .outerjoin(liked_song, liked_song.c.id == like.c.song_id)
        .outerjoin(comment, comment.c.id == activity.c.comment_id)
        .outerjoin(commented_review, commented_review.c.id == comment.c.review_id)
        .outerjoin(collection, collection.c.id == activity.c.collection_id)
    )
    columns = (
        followed.c.id.label("t_user_id"), followed.c.username.label("t_username"),
        reviewed_song.c.id.label("t_reviewed_song_id"), reviewed_song.c.title.label("t_reviewed_song_title"),
        reviewed_song.c.artist_name.label("t_reviewed_song_artist"),
        liked_review.c.id.label("t_liked_review_id"), liked_review.c.rating.label("t_liked_review_rating"),
        liked_review.c.song_id.label("t_liked_review_song_id"),
        liked_song.c.id.label("t_liked_song_id"), liked_song.c.title.label("t_liked_song_title"),
        liked_song.c.artist_name.label("t_liked_song_artist"),
        commented_review.c.id.label("t_commented_review_id"), commented_review.c.rating.label("t_commented_review_rating"),
        commented_review.c.song_id.label("t_commented_review_song_id"),
        collection.c.id.label("t_collection_id"), collection.c.title.label("t_collection_title"),
    )
    return joined, columns


def _song(song_id, title, artist_name):
    return {"type": "Song", "id": song_id, "title": title, "artist_name": artist_name}


def _review(review_id, rating, song_id):
    return {"type": "Review", "id": review_id, "rating": rating, "song_id": song_id}


def _liked(row):
    if row.t_liked_review_id is not None:
        return _review(row.t_liked_review_id, row.t_liked_review_rating, row.t_liked_review_song_id)
    if row.t_liked_song_id is not None:
        return _song(row.t_liked_song_id, row.t_liked_song_title, row.t_liked_song_artist)
    return None


# action type -> the target's summary from a row with target_joins' columns (None: the target is gone).
TARGET_SUMMARIES = {
    actions.FOLLOWED: lambda row: row.t_user_id is not None and {
        "type": "User", "id": row.t_user_id, "username": row.t_username},
    actions.REVIEWED: lambda row: row.t_reviewed_song_id is not None and _song(
        row.t_reviewed_song_id, row.t_reviewed_song_title, row.t_reviewed_song_artist),
    actions.LIKED: _liked,
    actions.COMMENTED: lambda row: row.t_commented_review_id is not None and _review(
        row.t_commented_review_id, row.t_commented_review_rating, row.t_commented_review_song_id),
    actions.CREATED_COLLECTION: lambda row: row.t_collection_id is not None and {
        "type": "Collection", "id": row.t_collection_id, "title": row.t_collection_title},
}


def target_of(row) -> dict | None:
    summary = TARGET_SUMMARIES.get(row.action_type)
    return (summary and summary(row)) or None
