"""Reviews, likes and comments, each with its activity and notification in the same transaction.

Reviews and likes are unique per user and target; the database enforces it: a second review is a
Conflict caught from the unique constraint, a second like is an insert that does nothing.
"""
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Comment, Like, Review, Song, User
from app.models.base import insert_or_ignore
from app.pagination import Page, paginate
from app.services import activities
from app.services.users import profile_columns, with_profile

REVIEW = "Review"
SONG = "Song"


# ---------------------------------------------------------------------------
# Reviews


def _review_columns(viewer_id: int):
    """The author's profile and the review's counts as columns: one query for a whole page of reviews."""
    like_count = select(func.count()).where(Like.review_id == Review.id).scalar_subquery()
    comment_count = select(func.count()).where(Comment.review_id == Review.id).scalar_subquery()
    liked_by_me = exists().where(Like.review_id == Review.id, Like.user_id == viewer_id)
    return (
        Review, User, *profile_columns(viewer_id),
        like_count.label("like_count"), comment_count.label("comment_count"), liked_by_me.label("liked_by_me"),
    )


def _reviews_query(viewer_id: int):
    return select(*_review_columns(viewer_id)).join(User, User.id == Review.user_id)


def _with_counts(rows) -> list[Review]:
    reviews = []
    for review, user, followers, following, followed_by_me, like_count, comment_count, liked_by_me in rows:
        review.author = with_profile([(user, followers, following, followed_by_me)])[0]
        review.like_count = like_count
        review.comment_count = comment_count
        review.liked_by_me = bool(liked_by_me)
        reviews.append(review)
    return reviews


def get_review(review_id: int, viewer_id: int) -> Review:
    rows = db.session.execute(_reviews_query(viewer_id).where(Review.id == review_id)).all()
    if not rows:
        raise NotFound("No such review.")
    return _with_counts(rows)[0]


def list_song_reviews(song_id: int, viewer_id: int, *, limit: int, cursor=None, page=None, per=None) -> Page:
    """A song's reviews, newest first."""
    if db.session.get(Song, song_id) is None:
        raise NotFound("No such song.")
    result = paginate(
        _reviews_query(viewer_id).where(Review.song_id == song_id),
        key_columns=[Review.created_at, Review.id], key=lambda row: (row[0].created_at, row[0].id),
        limit=limit, cursor=cursor, page=page, per=per, execute=lambda s: db.session.execute(s).all(),
    )
    result.items = _with_counts(result.items)
    return result


def create_review(actor: User, song_id: int, rating: int, review_text: str = "") -> Review:
    review = Review(user_id=actor.id, song_id=song_id, rating=rating, review_text=review_text)
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if db.session.get(Song, song_id) is None:
            raise NotFound("No such song.", field="song_id") from None
        raise Conflict("You have already reviewed this song.", field="song_id") from None
    activities.record_activity(actor.id, activities.REVIEWED, review_id=review.id)
    db.session.commit()
    return get_review(review.id, actor.id)


def _own_review(actor: User, review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound("No such review.")
    if review.user_id != actor.id:
        raise Forbidden("Only the author can change or delete a review.")
    return review


def update_review(actor: User, review_id: int, changes: dict) -> Review:
    review = _own_review(actor, review_id)
    for name in ("rating", "review_text"):
        if name in changes:
            setattr(review, name, changes[name])
    db.session.commit()
    return get_review(review_id, actor.id)


def delete_review(actor: User, review_id: int) -> None:
    """Deletes the review; its likes, comments, activities and notifications go with it (ON DELETE CASCADE)."""
    db.session.delete(_own_review(actor, review_id))
    db.session.commit()


# ---------------------------------------------------------------------------
# Likes


def like(actor: User, likeable_type: str, likeable_id: int) -> tuple[Like, bool]:
    """Like a review or a song; returns the like and whether it is new (liking twice changes nothing)."""
    if likeable_type == REVIEW:
        review = db.session.get(Review, likeable_id)
        if review is None:
            raise NotFound("No such review.", field="likeable_id")
        target = {"review_id": likeable_id}
    else:
        if db.session.get(Song, likeable_id) is None:
            raise NotFound("No such song.", field="likeable_id")
        target = {"song_id": likeable_id}
    like_id = insert_or_ignore(Like, {"user_id": actor.id, "likeable_type": likeable_type, **target})
    if like_id is None:
        db.session.rollback()
        existing = db.session.scalar(select(Like).filter_by(user_id=actor.id, **target))
        if existing is None:  # unliked between our insert and this read
            raise Conflict("The like changed concurrently; retry.")
        return existing, False
    activities.record_activity(actor.id, activities.LIKED, like_id=like_id)
    if likeable_type == REVIEW:
        activities.notify(review.user_id, actor.id, activities.LIKED, REVIEW, review.id, like_id=like_id)
    db.session.commit()
    return db.session.get(Like, like_id), True


def unlike_review(actor: User, review_id: int) -> None:
    deleted = db.session.execute(
        delete(Like).where(Like.user_id == actor.id, Like.review_id == review_id).returning(Like.id)
    ).first()
    if deleted is None:
        db.session.rollback()
        raise NotFound("You have not liked this review.")
    db.session.commit()


def delete_like(actor: User, like_id: int) -> None:
    found = db.session.get(Like, like_id)
    if found is None:
        raise NotFound("No such like.")
    if found.user_id != actor.id:
        raise Forbidden("Only the owner can remove a like.")
    db.session.delete(found)
    db.session.commit()


# ---------------------------------------------------------------------------
# Comments


def _review_or_404(review_id: int, field: str | None = None) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound("No such review.", field=field)
    return review


def list_comments(review_id: int, *, limit: int, cursor=None, page=None, per=None) -> Page:
    """A review's comments, oldest first."""
    _review_or_404(review_id)
    return paginate(
        select(Comment).options(joinedload(Comment.user)).where(Comment.review_id == review_id),
        key_columns=[Comment.created_at, Comment.id], key=lambda c: (c.created_at, c.id),
        limit=limit, cursor=cursor, descending=False, page=page, per=per,
    )


def add_comment(actor: User, review_id: int, text: str, *, field: str | None = None) -> Comment:
    review = _review_or_404(review_id, field)
    comment = Comment(user_id=actor.id, review_id=review.id, text=text)
    db.session.add(comment)
    db.session.flush()
    activities.record_activity(actor.id, activities.COMMENTED, comment_id=comment.id)
    activities.notify(review.user_id, actor.id, activities.COMMENTED, REVIEW, review.id, comment_id=comment.id)
    db.session.commit()
    return db.session.scalar(select(Comment).options(joinedload(Comment.user)).where(Comment.id == comment.id))


def delete_comment(actor: User, comment_id: int) -> None:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("No such comment.")
    if comment.user_id != actor.id:
        raise Forbidden("Only the author can delete a comment.")
    db.session.delete(comment)
    db.session.commit()

