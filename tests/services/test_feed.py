from datetime import timedelta

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.models import Follow, Song, utcnow
from app.services import feed
from app.services.activities import record_activity
from tests.factories import count_queries, make_collection, make_comment, make_like, make_review, make_song
from tests.paging import paging, walk

T0 = utcnow() - timedelta(days=1)


def follow(follower, followed):
    db.session.add(Follow(follower_id=follower.id, followed_id=followed.id, created_at=T0))
    db.session.commit()


def activity(actor, action_type, minute, **source):
    """An activity at T0 + minute (the engagement and collection services write these in production)."""
    row = record_activity(actor.id, action_type, **source)
    row.created_at = T0 + timedelta(minutes=minute)
    db.session.commit()
    return row


def collection_activity(actor, minute, public=True):
    collection = make_collection(actor, public=public)
    return activity(actor, "created_collection", minute, collection_id=collection.id, public=public)


def ids(page):
    return [a.id for a in page.items]


def following(me, limit=20, cursor=None, **legacy):
    return feed.following_feed(me, paging(feed.FOLLOWING_KEYSET, limit, cursor, **legacy))


def explore(me, limit=20, cursor=None, **legacy):
    return feed.explore_feed(me, paging(feed.EXPLORE_KEYSET, limit, cursor, **legacy))


def test_following_feed_lists_followees_public_activities_newest_first(make_user):
    me, friend, stranger = make_user(), make_user(), make_user()
    follow(me, friend)
    older = collection_activity(friend, 1)
    newer = collection_activity(friend, 2)
    collection_activity(stranger, 3)
    collection_activity(me, 4)
    assert ids(following(me, limit=10)) == [newer.id, older.id]


def test_private_collection_activity_is_hidden_from_both_feeds(make_user):
    me, friend = make_user(), make_user()
    follow(me, friend)
    shown = collection_activity(friend, 1)
    collection_activity(friend, 2, public=False)
    assert ids(following(me, limit=10)) == [shown.id]
    assert ids(explore(me, limit=10)) == [shown.id]


def test_explore_feed_excludes_your_own_activities(make_user):
    me, other, third = make_user(), make_user(), make_user()
    mine = collection_activity(me, 3)
    a = collection_activity(other, 1)
    b = collection_activity(third, 2)
    assert ids(explore(me, limit=10)) == [b.id, a.id]
    assert mine.id in ids(explore(other, limit=10))


@pytest.mark.parametrize("listing", [following, explore])
def test_feed_pages_are_stable_while_activities_arrive(make_user, listing):
    me, friend = make_user(), make_user()
    follow(me, friend)
    originals = [collection_activity(friend, minute).id for minute in range(7)]
    first = listing(me, limit=3)
    collection_activity(friend, 100)  # newer than every page already served
    collection_activity(friend, -1)   # older than every existing one: a later page shows it
    second = listing(me, limit=3, cursor=first.next_cursor)
    third = listing(me, limit=3, cursor=second.next_cursor)
    seen = ids(first) + ids(second) + ids(third)
    assert seen[:7] == list(reversed(originals))
    assert len(seen) == len(set(seen)) == 8
    assert third.next_cursor is None


def test_legacy_offset_paging_of_following_feed(make_user):
    me, friend = make_user(), make_user()
    follow(me, friend)
    rows = [collection_activity(friend, minute).id for minute in range(5)]
    assert ids(following(me, limit=20, page=2, per=2)) == [rows[2], rows[1]]
    assert ids(following(me, limit=2, page=3)) == [rows[0]]


def test_legacy_offset_paging_of_explore_feed(make_user):
    me, other = make_user(), make_user()
    rows = [collection_activity(other, minute).id for minute in range(5)]
    assert ids(explore(me, page=2, per=2)) == [rows[2], rows[1]]


def test_following_feed_picks_newest_across_many_followees(make_user):
    me = make_user()
    friends = [make_user() for _ in range(3)]
    for friend in friends:
        follow(me, friend)
    expected = []
    for minute in range(9):
        expected.append(collection_activity(friends[minute % 3], minute).id)
    items = walk(lambda page: feed.following_feed(me, page), feed.FOLLOWING_KEYSET, limit=2)
    assert [item.id for item in items] == list(reversed(expected))


def test_every_action_type_has_its_target_summary(make_user):
    me, friend, author = make_user(), make_user(), make_user()
    follow(me, friend)
    song = make_song(title="Around the World", artist_name="Daft Punk")
    review = make_review(author, song=song, rating=5)
    friend_follow = Follow(follower_id=friend.id, followed_id=author.id, created_at=T0)
    db.session.add(friend_follow)
    db.session.commit()
    collection = make_collection(friend, title="Road trip")
    activity(friend, "followed", 1, follow_id=friend_follow.id)
    activity(friend, "reviewed", 2, review_id=make_review(friend, song=song, rating=3).id)
    activity(friend, "liked", 3, like_id=make_like(friend, review=review).id)
    activity(friend, "liked", 4, like_id=make_like(friend, song=song).id)
    activity(friend, "commented", 5, comment_id=make_comment(friend, review).id)
    activity(friend, "created_collection", 6, collection_id=collection.id)
    page = following(me, limit=10)
    assert [(a.action_type, a.target) for a in reversed(page.items)] == [
        ("followed", {"type": "User", "id": author.id, "username": author.username}),
        ("reviewed", {"type": "Song", "id": song.id, "title": "Around the World", "artist_name": "Daft Punk"}),
        ("liked", {"type": "Review", "id": review.id, "rating": 5, "song_id": song.id}),
        ("liked", {"type": "Song", "id": song.id, "title": "Around the World", "artist_name": "Daft Punk"}),
        ("commented", {"type": "Review", "id": review.id, "rating": 5, "song_id": song.id}),
        ("created_collection", {"type": "Collection", "id": collection.id, "title": "Road trip"}),
    ]
    assert all(a.actor.id == friend.id for a in page.items)


def test_deleted_target_leaves_no_feed_item(make_user):
    me, friend = make_user(), make_user()
    follow(me, friend)
    song = make_song()
    activity(friend, "liked", 1, like_id=make_like(friend, song=song).id)
    kept = collection_activity(friend, 2)
    db.session.execute(delete(Song).where(Song.id == song.id))
    db.session.commit()
    assert ids(following(me, limit=10)) == [kept.id]


def test_unfollowed_users_activities_leave_the_following_feed(make_user):
    me, friend = make_user(), make_user()
    follow(me, friend)
    collection_activity(friend, 1)
    db.session.execute(delete(Follow).where(Follow.follower_id == me.id))
    db.session.commit()
    assert following(me, limit=10).items == []


def seed_every_type(me, make_user, copies):
    """`copies` activities of each action type, by as many different followees."""
    song = make_song()
    for n in range(copies):
        friend = make_user()
        follow(me, friend)
        target_user = make_user()
        followed = Follow(follower_id=friend.id, followed_id=target_user.id, created_at=T0)
        db.session.add(followed)
        db.session.commit()
        review = make_review(target_user, song=song)
        activity(friend, "followed", n, follow_id=followed.id)
        activity(friend, "reviewed", n, review_id=make_review(friend, song=song).id)
        activity(friend, "liked", n, like_id=make_like(friend, review=review).id)
        activity(friend, "liked", n, like_id=make_like(friend, song=song).id)
        activity(friend, "commented", n, comment_id=make_comment(friend, review).id)
        collection_activity(friend, n)


@pytest.mark.parametrize("listing", [following, explore])
def test_a_feed_page_is_one_statement_whatever_its_size(make_user, listing):
    me = make_user()
    seed_every_type(me, make_user, copies=5)
    db.session.refresh(me)
    for limit in (6, 24):  # of 30: neither is the feed's last page
        with count_queries() as counter:
            page = listing(me, limit=limit)
        assert len(page.items) == limit and all(item.target for item in page.items)
        assert counter.count == 1


def test_the_last_following_page_costs_at_most_two_statements(make_user):
    me = make_user()
    seed_every_type(me, make_user, copies=5)
    db.session.refresh(me)
    with count_queries() as counter:  # on PostgreSQL the short scan is checked by the exact plan
        page = following(me, limit=30)
    assert len(page.items) == 30 and page.next_cursor is None and counter.count <= 2


@pytest.mark.parametrize("listing", [following, explore])
def test_an_empty_cursor_is_the_first_page(make_user, listing):
    me = make_user()
    seed_every_type(me, make_user, copies=1)

    assert ids(listing(me, limit=3, cursor="")) == ids(listing(me, limit=3))


@pytest.mark.parametrize("listing", [following, explore])
def test_legacy_pages_are_the_cursor_pages(make_user, listing):
    me = make_user()
    seed_every_type(me, make_user, copies=2)
    by_cursor, cursor = [], None
    for _ in range(3):
        page = listing(me, limit=4, cursor=cursor)
        by_cursor.append(ids(page))
        cursor = page.next_cursor
    assert [ids(listing(me, page=number, per=4)) for number in (1, 2, 3)] == by_cursor
