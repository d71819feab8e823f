"""The following and explore feeds, v1 and v2 (v1 also takes the legacy page/per)."""
import pytest

from tests.conftest import error_codes
from tests.factories import count_queries, make_collection, make_like, make_review, make_song
from tests.services.test_feed import activity, collection_activity, follow, seed_every_type

ITEM_FIELDS = {"id", "action_type", "created_at", "actor", "target"}


@pytest.fixture(params=["v1", "v2"])
def feeds(request):
    """Both versions of the feeds answer the same; every test here runs against each."""
    return f"/api/{request.param}/feed"


def test_following_feed_items_have_the_contract_shape(client, make_user, me, headers, feeds):
    friend = make_user()
    follow(me, friend)
    collection = make_collection(friend, title="Mix")
    row = activity(friend, "created_collection", 1, collection_id=collection.id)
    response = client.get(f"{feeds}/following", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"items": [{
        "id": row.id,
        "action_type": "created_collection",
        "created_at": row.created_at.isoformat(),
        "actor": {"id": friend.id, "username": friend.username, "profile_picture_url": None},
        "target": {"type": "Collection", "id": collection.id, "title": "Mix"},
    }], "next_cursor": None}


def test_feed_targets_of_likes_are_review_or_song(client, make_user, me, headers, feeds):
    friend, author = make_user(), make_user()
    follow(me, friend)
    song = make_song(title="One More Time", artist_name="Daft Punk")
    review = make_review(author, song=song, rating=4)
    activity(friend, "liked", 1, like_id=make_like(friend, review=review).id)
    activity(friend, "liked", 2, like_id=make_like(friend, song=song).id)
    items = client.get(f"{feeds}/following", headers=headers).get_json()["items"]
    assert [item["target"] for item in items] == [
        {"type": "Song", "id": song.id, "title": "One More Time", "artist_name": "Daft Punk"},
        {"type": "Review", "id": review.id, "rating": 4, "song_id": song.id},
    ]


def test_explore_feed_shows_others_but_not_mine_nor_private(client, make_user, me, headers, feeds):
    other = make_user()
    collection_activity(me, 1)
    collection_activity(other, 2, public=False)
    shown = collection_activity(other, 3)
    items = client.get(f"{feeds}/explore", headers=headers).get_json()["items"]
    assert [item["id"] for item in items] == [shown.id]
    assert set(items[0]) == ITEM_FIELDS


@pytest.mark.parametrize("feed", ["following", "explore"])
def test_feed_cursor_walks_every_item_once_while_new_ones_arrive(client, make_user, me, headers, feed, feeds):
    friend = make_user()
    follow(me, friend)
    rows = [collection_activity(friend, minute).id for minute in range(5)]
    first = client.get(f"{feeds}/{feed}?limit=2", headers=headers).get_json()
    collection_activity(friend, 99)
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        body = client.get(f"{feeds}/{feed}", headers=headers,
                          query_string={"limit": 2, "cursor": cursor}).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
    assert seen == list(reversed(rows))


@pytest.mark.parametrize("feed", ["following", "explore"])
def test_feed_query_count_does_not_grow_with_page_size(client, make_user, me, headers, feed, feeds):
    seed_every_type(me, make_user, copies=5)  # 30 activities: neither page below is the feed's last
    client.get(f"{feeds}/{feed}?limit=1", headers=headers)  # the session now holds the token's user
    counts = []
    for limit in (6, 24):
        with count_queries() as counter:
            body = client.get(f"{feeds}/{feed}?limit={limit}", headers=headers).get_json()
        assert len(body["items"]) == limit
        counts.append(counter.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("feed", ["following", "explore"])
@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"), ("cursor=forged", "cursor"),
])
def test_bad_feed_paging_is_422(client, headers, feed, query, field, feeds):
    response = client.get(f"{feeds}/{feed}?{query}", headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("feed", ["following", "explore"])
def test_feeds_need_a_token(client, feed, feeds):
    response = client.get(f"{feeds}/{feed}")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


@pytest.mark.parametrize("feed", ["following", "explore"])
def test_feeds_accept_legacy_page_and_per(client, make_user, me, headers, feed):
    friend = make_user()
    follow(me, friend)
    rows = [collection_activity(friend, minute).id for minute in range(5)]
    body = client.get(f"/api/v1/feed/{feed}?page=3&per=2", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [rows[0]]



@pytest.mark.parametrize("feed", ["following", "explore"])
def test_v2_feeds_page_by_cursor_only(client, make_user, me, headers, feed):
    friend = make_user()
    follow(me, friend)
    rows = [collection_activity(friend, minute).id for minute in range(3)]
    body = client.get(f"/api/v2/feed/{feed}?page=2&per=1&limit=2", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [rows[2], rows[1]]
    assert body["next_cursor"]
