from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Activity, Follow, Notification, User, utcnow
from app.services import social
from tests.concurrency import run_concurrently
from tests.paging import paging


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_follow_creates_follow_activity_and_notification(make_user):
    alice, bob = make_user(), make_user()
    profile, created = social.follow(alice, bob.id)
    assert created is True
    assert (profile.id, profile.followers_count, profile.followed_by_me) == (bob.id, 1, True)
    follow = db.session.scalars(select(Follow)).one()
    assert (follow.follower_id, follow.followed_id) == (alice.id, bob.id)
    activity = db.session.scalars(select(Activity)).one()
    assert (activity.actor_id, activity.action_type, activity.follow_id, activity.public) == (
        alice.id, "followed", follow.id, True,
    )
    notification = db.session.scalars(select(Notification)).one()
    assert (notification.recipient_id, notification.actor_id, notification.action) == (bob.id, alice.id, "followed")
    assert (notification.notifiable_type, notification.notifiable_id, notification.follow_id) == (
        "User", alice.id, follow.id,
    )


def test_second_follow_is_idempotent(make_user):
    alice, bob = make_user(), make_user()
    social.follow(alice, bob.id)
    profile, created = social.follow(alice, bob.id)
    assert created is False
    assert profile.followers_count == 1
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_following_yourself_is_invalid(make_user):
    alice = make_user()
    with pytest.raises(InvalidInput):
        social.follow(alice, alice.id)
    assert count(Follow) == 0


def test_following_unknown_user_is_not_found(make_user):
    with pytest.raises(NotFound):
        social.follow(make_user(), 999_999)


def test_concurrent_follows_make_one_follow(app, make_user):
    alice_id, bob_id = make_user().id, make_user().id

    def follow():
        return social.follow(db.session.get(User, alice_id), bob_id)[1]

    results = run_concurrently(app, [follow] * 6)
    assert sorted(results) == [False] * 5 + [True]
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_unfollow_deletes_follow_with_its_activity_and_notification(make_user):
    alice, bob = make_user(), make_user()
    social.follow(alice, bob.id)
    social.unfollow(alice, bob.id)
    assert (count(Follow), count(Activity), count(Notification)) == (0, 0, 0)


def test_unfollow_when_not_following_is_not_found(make_user):
    alice, bob = make_user(), make_user()
    social.follow(bob, alice.id)
    with pytest.raises(NotFound):
        social.unfollow(alice, bob.id)
    assert count(Follow) == 1


def test_follow_again_after_unfollow_makes_a_new_follow(make_user):
    alice, bob = make_user(), make_user()
    social.follow(alice, bob.id)
    social.unfollow(alice, bob.id)
    _, created = social.follow(alice, bob.id)
    assert created is True
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def add_follow(follower, followed, created_at):
    db.session.add(Follow(follower_id=follower.id, followed_id=followed.id, created_at=created_at))
    db.session.commit()


def test_followers_are_listed_newest_follow_first_with_profile_fields(make_user):
    star, viewer = make_user(), make_user()
    fans = [make_user() for _ in range(3)]
    start = utcnow() - timedelta(hours=1)
    for n, fan in enumerate(fans):
        add_follow(fan, star, start + timedelta(minutes=n))
    add_follow(viewer, fans[0], start)
    page = social.followers(star.id, viewer.id, paging(social.FOLLOWERS_KEYSET, 10))
    assert [u.id for u in page.items] == [fans[2].id, fans[1].id, fans[0].id]
    assert [(u.following_count, u.followers_count, u.followed_by_me) for u in page.items] == [
        (1, 0, False), (1, 0, False), (1, 1, True),
    ]
    assert page.next_cursor is None


def test_following_lists_followees_newest_follow_first(make_user):
    fan = make_user()
    stars = [make_user() for _ in range(3)]
    start = utcnow() - timedelta(hours=1)
    for n, star in enumerate(stars):
        add_follow(fan, star, start + timedelta(minutes=n))
    page = social.following(fan.id, fan.id, paging(social.FOLLOWING_KEYSET, 2))
    assert [u.id for u in page.items] == [stars[2].id, stars[1].id]
    assert all(u.followed_by_me for u in page.items)
    rest = social.following(fan.id, fan.id, paging(social.FOLLOWING_KEYSET, 2, page.next_cursor))
    assert [u.id for u in rest.items] == [stars[0].id]
    assert rest.next_cursor is None


@pytest.mark.parametrize("listing", [social.followers, social.following])
def test_lists_of_unknown_user_are_not_found(listing):
    with pytest.raises(NotFound):
        listing(999_999, 1, paging(social.FOLLOWERS_KEYSET))
