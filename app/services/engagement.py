"""Reviews, likes and comments, each with its activity and notification in the same transaction.

Reviews and likes are unique per user and target; the database enforces it: a second review is a
Conflict caught from the unique constraint, a second like is an insert that does nothing.
"""
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Comment, Like, Review, Song, User
from app.models.base import insert_or_ignore
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate
from app.services import activities
from app.services.users import profiles_by_id

REVIEW = "Review"
SONG = "Song"

SONG_REVIEWS_KEYSET = Keyset("song_reviews", (datetime, int))
COMMENTS_KEYSET = Keyset("comments", (datetime, int))


# ---------------------------------------------------------------------------
# Reviews


@cache
def _reviews_select():
    """Reviews with their counts and whether :viewer_id liked each (authors come from profiles_by_id)."""
    viewer_id = bindparam("viewer_id", type_=User.id.type)
    like_count = select(func.count()).where(Like.review_id == Review.id).scalar_subquery()
    comment_count = select(func.count()).where(Comment.review_id == Review.id).scalar_subquery()
    liked_by_me = exists().where(Like.review_id == Review.id, Like.user_id == viewer_id)
    return select(
        Review, like_count.label("like_count"), comment_count.label("comment_count"), liked_by_me.label("liked_by_me")
    )


def _with_counts_and_authors(rows, viewer_id: int) -> list[Review]:
    authors = profiles_by_id({row.Review.user_id for row in rows}, viewer_id)
    reviews = []
    for review, like_count, comment_count, liked_by_me in rows:
        review.author = authors[review.user_id]
        review.like_count = like_count
        review.comment_count = comment_count
        review.liked_by_me = bool(liked_by_me)
        reviews.append(review)
    return reviews


@cache
def _review_statement():
    return _reviews_select().where(Review.id == bindparam("review_id", type_=Review.id.type))


def get_review(review_id: int, viewer_id: int) -> Review:
    rows = db.session.execute(_review_statement(), {"review_id": review_id, "viewer_id": viewer_id}).all()
    if not rows:
        raise NotFound("No such review.")
    return _with_counts_and_authors(rows, viewer_id)[0]


@cache
def _song_reviews_statement(mode: str):
    stmt = _reviews_select().where(Review.song_id == bindparam("song_id", type_=Review.song_id.type))
    return keyset_statement(stmt, [Review.created_at, Review.id], mode)


def list_song_reviews(song_id: int, viewer_id: int, paging: Paging) -> Page:
    """A song's reviews, newest first."""
    if db.session.get(Song, song_id) is None:
        raise NotFound("No such song.")
    result = paginate(_song_reviews_statement(paging.mode), paging, SONG_REVIEWS_KEYSET,
                      key=lambda row: (row.Review.created_at, row.Review.id),
                      params={"song_id": song_id, "viewer_id": viewer_id})
    result.items = _with_counts_and_authors(result.items, viewer_id)
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


@cache
def _comments_statement(mode: str):
    stmt = (
        select(Comment).options(joinedload(Comment.user))
        .where(Comment.review_id == bindparam("review_id", type_=Comment.review_id.type))
    )
    return keyset_statement(stmt, [Comment.created_at, Comment.id], mode, descending=False)


def list_comments(review_id: int, paging: Paging) -> Page:
    """A review's comments, oldest first."""
    _review_or_404(review_id)
    return paginate(_comments_statement(paging.mode), paging, COMMENTS_KEYSET,
                    key=lambda comment: (comment.created_at, comment.id), params={"review_id": review_id},
                    scalars=True)


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

