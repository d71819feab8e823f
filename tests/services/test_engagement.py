import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Activity, Comment, Like, Notification, Review
from app.services import engagement
from tests.concurrency import run_concurrently
from tests.factories import make_comment, make_like, make_review, make_song


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_review_records_a_reviewed_activity(make_user):
    user, song = make_user(), make_song()
    review = engagement.create_review(user, song.id, 5, "Great")
    activity = db.session.scalars(select(Activity)).one()
    assert (activity.actor_id, activity.action_type, activity.review_id) == (user.id, "reviewed", review.id)


def test_second_review_of_a_song_is_a_conflict_and_leaves_one_row(make_user):
    user, song = make_user(), make_song()
    engagement.create_review(user, song.id, 5)
    with pytest.raises(Conflict):
        engagement.create_review(user, song.id, 3)
    assert count(Review) == 1 and count(Activity) == 1


def test_review_of_unknown_song_is_not_found(make_user):
    with pytest.raises(NotFound) as error:
        engagement.create_review(make_user(), 999, 5)
    assert error.value.field == "song_id"
    assert count(Activity) == 0


def test_reviews_carry_counts_and_liked_by_me(make_user):
    author, fan, other = make_user(), make_user(), make_user()
    review = make_review(author)
    make_like(fan, review=review), make_like(other, review=review)
    make_comment(other, review)
    seen = engagement.get_review(review.id, fan.id)
    assert (seen.like_count, seen.comment_count, seen.liked_by_me) == (2, 1, True)
    assert engagement.get_review(review.id, author.id).liked_by_me is False
    assert seen.author.username == author.username


def test_only_the_author_updates_a_review(make_user):
    review = make_review(make_user())
    with pytest.raises(Forbidden):
        engagement.update_review(make_user(), review.id, {"rating": 1})


def test_review_like_notifies_the_author_once(make_user):
    author, fan = make_user(), make_user()
    review = make_review(author)
    like, created = engagement.like(fan, "Review", review.id)
    again, created_again = engagement.like(fan, "Review", review.id)
    assert (created, created_again, again.id) == (True, False, like.id)
    notification = db.session.scalars(select(Notification)).one()
    assert (notification.recipient_id, notification.actor_id, notification.action) == (author.id, fan.id, "liked")
    assert (notification.notifiable_type, notification.notifiable_id, notification.like_id) == (
        "Review", review.id, like.id)
    assert count(Activity, Activity.action_type == "liked", Activity.like_id == like.id) == 1


def test_liking_your_own_review_notifies_nobody(make_user):
    author = make_user()
    engagement.like(author, "Review", make_review(author).id)
    assert count(Notification) == 0 and count(Activity) == 1


def test_song_like_records_an_activity_without_notification(make_user):
    like, created = engagement.like(make_user(), "Song", make_song().id)
    assert created and like.likeable_type == "Song" and like.likeable_id == like.song_id
    assert count(Notification) == 0 and count(Activity, Activity.like_id == like.id) == 1


def test_comment_records_activity_and_notifies_the_review_author(make_user):
    author, commenter = make_user(), make_user()
    review = make_review(author)
    comment = engagement.add_comment(commenter, review.id, "Agreed")
    assert count(Activity, Activity.comment_id == comment.id, Activity.action_type == "commented") == 1
    notification = db.session.scalars(select(Notification)).one()
    assert (notification.recipient_id, notification.action, notification.comment_id) == (
        author.id, "commented", comment.id)


def test_deleting_a_review_leaves_no_orphan_rows(make_user):
    author, fan = make_user(), make_user()
    review = engagement.create_review(author, make_song().id, 4)
    engagement.like(fan, "Review", review.id)
    engagement.add_comment(fan, review.id, "Nice")
    engagement.delete_review(author, review.id)
    assert [count(m) for m in (Review, Like, Comment, Activity, Notification)] == [0, 0, 0, 0, 0]


def test_deleting_a_like_removes_its_activity_and_notification(make_user):
    author, fan = make_user(), make_user()
    like, _ = engagement.like(fan, "Review", make_review(author).id)
    engagement.delete_like(fan, like.id)
    assert [count(m) for m in (Like, Activity, Notification)] == [0, 0, 0]


def test_deleting_a_comment_removes_its_activity_and_notification(make_user):
    author, fan = make_user(), make_user()
    comment = engagement.add_comment(fan, make_review(author).id, "Hi")
    engagement.delete_comment(fan, comment.id)
    assert [count(m) for m in (Comment, Activity, Notification)] == [0, 0, 0]


def test_concurrent_likes_of_one_review_make_one_like(app, make_user):
    author, fan = make_user(), make_user()
    review_id, fan_id = make_review(author).id, fan.id

    def like():
        return engagement.like(db.session.get(type(fan), fan_id), "Review", review_id)[1]

    assert sorted(run_concurrently(app, [like] * 4)) == [False, False, False, True]
    assert count(Like) == 1 and count(Notification) == 1 and count(Activity) == 1
