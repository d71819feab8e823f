"""Activity feeds: what the people you follow did (following), and what everyone else did (explore).

Both are newest first with keyset pagination on (created_at, id). A page is loaded in a fixed
number of queries whatever its size: the activities, their actors and their targets (target_joins). The
v2 following feed (following_feed_rows) does it all in one statement, built once (FeedRowStatements).

The following feed is fan-out on read. On PostgreSQL a page first tries a bounded backward scan of
ix_activities_created (BoundedScan) and falls back to a per-followee top-N through CROSS JOIN LATERAL on
ix_activities_actor_created when the scan's budget runs out, so a page costs about the same at any depth;
docs/performance.md ("Feeds") has the figures and how this moves to fan-out on write.
"""
from types import SimpleNamespace

from sqlalchemy import bindparam, select, true, tuple_
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import Activity, Collection, Comment, Follow, Like, Review, Song, User
from app.pagination import Page, decode_cursor, keyset_page, literal_limit, paginate
from app.services import activities as actions

# The bounded scan reads at most this many of the newest activities past the cursor per item of the page.
SCAN_ROWS_PER_ITEM = 100


def following_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Public activities of the users `user` follows, as Activity objects with `actor` and `target`."""
    return _following(user, limit=limit, cursor=cursor, page=page, per=per)


def following_feed_rows(user: User, *, limit: int, cursor: str | None = None) -> Page:
    """The same page as rows (no ORM objects), in one round trip: each item has the activity's columns,
    `actor_username`, `actor_profile_picture_key` and `target` (for app.schemas.feed.dump_activity_row).

    The statements are built once per shape (see FeedRowStatements) and take everything as parameters, so a request
    spends nothing on building SQL; on PostgreSQL psycopg prepares them on the server after a few uses."""
    params = {"me": user.id, "page_size": limit + 1}
    if cursor:
        params["after_at"], params["after_id"] = decode_cursor(cursor, 2)
    statements = FeedRowStatements.get(db.session.get_bind().dialect.name, bool(cursor))
    if statements.scan is not None:
        params["budget"] = SCAN_ROWS_PER_ITEM * (limit + 1)
        rows = db.session.execute(statements.scan, params).all()
        if len(rows) <= limit:  # the scan's budget (or the table) ended first: the per-followee plan is exact
            rows = db.session.execute(statements.exact, params).all()
    else:
        rows = db.session.execute(statements.exact, params).all()
    page = keyset_page(rows, limit, key=lambda row: (row.created_at, row.id))
    items = []
    for row in page.items:
        item = SimpleNamespace(**row._mapping)
        item.target = target_of(row)
        if item.target:  # its target is gone (deleted in a race with this read)
            items.append(item)
    page.items = items
    return page


def _following(user, *, limit, cursor=None, page=None, per=None) -> Page:
    """On PostgreSQL a page first tries the bounded scan; when that does not fill the page (its budget or the table
    ended first), the per-followee top-N, which is exact at any depth. See docs/performance.md ("Feeds")."""
    paging = {"limit": limit, "cursor": cursor, "page": page, "per": per}
    if db.session.get_bind().dialect.name != "postgresql":
        stmt = (
            select(Activity)
            .join(Follow, Follow.followed_id == Activity.actor_id)
            .where(Follow.follower_id == user.id, Activity.public)
        )
        return _objects(stmt, Activity, **paging)
    after = tuple_(Activity.created_at, Activity.id) < tuple(decode_cursor(cursor, 2)) if cursor else None
    if page is None:
        scan = BoundedScan(user, limit, after)
        result = _objects(scan.statement, scan.activity, **paging)
        if result.next_cursor:
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
    return _objects(stmt, activity, **paging)


class BoundedScan:
    """Walk ix_activities_created backwards from the cursor over at most `budget` rows, keeping the followees'.

    A full page from it (limit + 1 rows) is exact: anything it did not read is older. A shorter one may not be (the
    budget ran out before the followees' older activities), so the caller falls back to the lateral plan.
    """

    def __init__(self, user, limit, after):
        # Only the index's columns in the window (an index-only scan); the kept rows are then read whole.
        window = select(Activity.id, Activity.created_at, Activity.actor_id, Activity.public)
        if after is not None:
            window = window.where(after)
        window = window.order_by(Activity.created_at.desc(), Activity.id.desc())
        recent = window.limit(SCAN_ROWS_PER_ITEM * (limit + 1)).subquery("recent")
        followees = select(Follow.followed_id).where(Follow.follower_id == user.id)
        self.activity = Activity
        self.statement = (
            select(Activity).join(recent, recent.c.id == Activity.id)
            .where(recent.c.actor_id.in_(followees), recent.c.public)
        )


def explore_feed(user: User, *, limit: int, cursor: str | None = None, page=None, per=None) -> Page:
    """Everyone's public activities except `user`'s own."""
    stmt = select(Activity).where(Activity.actor_id != user.id, Activity.public)
    return _objects(stmt, Activity, limit=limit, cursor=cursor, page=page, per=per)


def _objects(stmt, activity, **paging) -> Page:
    stmt = stmt.with_only_columns(activity).options(selectinload(activity.actor))
    result = paginate(
        stmt, key_columns=[activity.created_at, activity.id], key=lambda a: (a.created_at, a.id),
        execute=lambda s: db.session.scalars(s).all(), **paging,
    )
    result.items = attach_targets(result.items)
    return result


class FeedRowStatements:
    """The SQL of following_feed_rows, built once per (dialect, has cursor) and run with parameters:
    :me, :page_size (limit + 1), :after_at and :after_id (the cursor), :budget (the bounded scan's rows).

    `exact` is the per-followee top-N (PostgreSQL) or the plain join (SQLite); `scan` is PostgreSQL's bounded scan,
    reading only ix_activities_created (created_at, id) INCLUDE (actor_id, public), so the rows it skips never touch
    the table. Each wraps its page of ids with the activity, its actor and its target (LEFT JOINs on the page's rows
    only): one statement, one round trip.
    """

    _built: dict = {}

    def __init__(self, dialect: str, has_cursor: bool):
        activities, follows = Activity.__table__, Follow.__table__
        order = (activities.c.created_at.desc(), activities.c.id.desc())
        me = bindparam("me", type_=follows.c.follower_id.type)
        after = None
        if has_cursor:
            after = tuple_(activities.c.created_at, activities.c.id) < tuple_(
                bindparam("after_at", type_=activities.c.created_at.type),
                bindparam("after_id", type_=activities.c.id.type),
            )
        # LIMITs are written into the SQL when it is sent (literal_execute): PostgreSQL can then reuse one generic
        # plan per page size instead of planning the statement (milliseconds, for its joins) on every execution.
        page_size = literal_limit("page_size")
        if dialect == "postgresql":
            self.scan = self._bounded_scan(activities, follows, me, after, page_size)
            inner = (
                select(activities.c.id, activities.c.created_at)
                .where(activities.c.actor_id == follows.c.followed_id, activities.c.public)
                .order_by(*order).limit(page_size)
            )
            recent = (inner.where(after) if after is not None else inner).subquery("recent").lateral()
            page = (
                select(recent.c.id, recent.c.created_at).select_from(follows).join(recent, true())
                .where(follows.c.follower_id == me)
                .order_by(recent.c.created_at.desc(), recent.c.id.desc()).limit(page_size)
            )
        else:
            self.scan = None
            page = (
                select(activities.c.id, activities.c.created_at)
                .join(follows, follows.c.followed_id == activities.c.actor_id)
                .where(follows.c.follower_id == me, activities.c.public)
                .order_by(*order).limit(page_size)
            )
            page = page.where(after) if after is not None else page
        self.exact = _with_activity_and_target(page.subquery("page"))

    @staticmethod
    def _bounded_scan(activities, follows, me, after, page_size):
        """The newest :budget activities past the cursor, read from the index alone, of which the followees'."""
        order = (activities.c.created_at.desc(), activities.c.id.desc())
        window = select(activities.c.id, activities.c.created_at, activities.c.actor_id, activities.c.public)
        window = (window.where(after) if after is not None else window).order_by(*order)
        recent = window.limit(literal_limit("budget")).subquery("recent")
        followees = select(follows.c.followed_id).where(follows.c.follower_id == me)
        page = (
            select(recent.c.id, recent.c.created_at)
            .where(recent.c.actor_id.in_(followees), recent.c.public)
            .order_by(recent.c.created_at.desc(), recent.c.id.desc()).limit(page_size)
        )
        return _with_activity_and_target(page.subquery("page"))

    @classmethod
    def get(cls, dialect: str, has_cursor: bool) -> "FeedRowStatements":
        key = (dialect, has_cursor)
        if key not in cls._built:
            cls._built[key] = cls(dialect, has_cursor)
        return cls._built[key]


def _with_activity_and_target(page):
    """SELECT the page's activities (newest first) with their actor's name and picture and their target's columns."""
    activities, users = Activity.__table__, User.__table__
    activity, actor = activities.alias("activity"), users.alias("actor")
    joined, target_columns = target_joins(
        activity, page.join(activity, activity.c.id == page.c.id).join(actor, actor.c.id == activity.c.actor_id)
    )
    return (
        select(
            activity.c.id, activity.c.action_type, activity.c.created_at, activity.c.actor_id,
            actor.c.username.label("actor_username"), actor.c.profile_picture_key.label("actor_profile_picture_key"),
            *target_columns,
        )
        .select_from(joined)
        .order_by(page.c.created_at.desc(), page.c.id.desc())
    )


# --- Targets: what each action type points at, LEFT JOINed from the activity, and its summary --------
# A new action type: its LEFT JOINs and labelled columns in target_joins, its summary in TARGET_SUMMARIES.


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


def attach_targets(items: list[Activity]) -> list[Activity]:
    """Set `target` on each activity, in one query. Items whose target is gone are dropped."""
    if not items:
        return items
    activity = Activity.__table__.alias("activity")
    joined, columns = target_joins(activity, activity)
    rows = db.session.execute(
        select(activity.c.id, activity.c.action_type, *columns).select_from(joined)
        .where(activity.c.id.in_(sorted({item.id for item in items})))
    )
    targets = {row.id: target_of(row) for row in rows}
    kept = []
    for item in items:
        item.target = targets.get(item.id)
        if item.target:
            kept.append(item)
    return kept
