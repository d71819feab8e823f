from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MAX_ID, Activity, Follow, Notification, utcnow
from tests.concurrency import run_concurrently
from tests.conftest import error_codes

PROFILE_FIELDS = {"id", "username", "bio", "profile_picture_url", "followers_count", "following_count", "followed_by_me"}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_follow_is_201_with_the_followed_profile(client, make_user, me, headers):
    bob = make_user()
    response = client.post(f"/api/v1/users/{bob.id}/follow", headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == PROFILE_FIELDS
    assert (body["id"], body["followers_count"], body["following_count"], body["followed_by_me"]) == (
        bob.id, 1, 0, True,
    )
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_second_follow_is_200_and_changes_nothing(client, make_user, headers):
    bob = make_user()
    client.post(f"/api/v1/users/{bob.id}/follow", headers=headers)
    response = client.post(f"/api/v1/users/{bob.id}/follow", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["followers_count"] == 1
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_concurrent_follow_requests_make_one_follow(app, make_user, headers):
    bob_id = make_user().id
    attempts = 4

    def follow():
        return app.test_client().post(f"/api/v1/users/{bob_id}/follow", headers=headers).status_code

    assert sorted(run_concurrently(app, [follow] * attempts)) == [200] * (attempts - 1) + [201]
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_following_yourself_is_422(client, me, headers):
    response = client.post(f"/api/v1/users/{me.id}/follow", headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert count(Follow) == 0


@pytest.mark.parametrize("user_id", [999_999, MAX_ID + 1])
def test_following_unknown_user_is_404(client, headers, user_id):
    response = client.post(f"/api/v1/users/{user_id}/follow", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_follow_needs_a_token(client, make_user):
    response = client.post(f"/api/v1/users/{make_user().id}/follow")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_unfollow_is_204_and_removes_activity_and_notification(client, make_user, headers):
    bob = make_user()
    client.post(f"/api/v1/users/{bob.id}/follow", headers=headers)
    response = client.delete(f"/api/v1/users/{bob.id}/follow", headers=headers)
    assert response.status_code == 204
    assert (count(Follow), count(Activity), count(Notification)) == (0, 0, 0)


@pytest.mark.parametrize("user_id", ["known", 999_999])
def test_unfollow_when_not_following_is_404(client, make_user, headers, user_id):
    target = make_user().id if user_id == "known" else user_id
    response = client.delete(f"/api/v1/users/{target}/follow", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_profile_counts_and_followed_by_me_follow_the_graph(client, make_user, me, headers, auth_headers):
    bob, carol = make_user(), make_user()
    client.post(f"/api/v1/users/{bob.id}/follow", headers=headers)
    client.post(f"/api/v1/users/{bob.id}/follow", headers=auth_headers(carol))
    client.post(f"/api/v1/users/{carol.id}/follow", headers=auth_headers(bob))
    profile = client.get(f"/api/v1/users/{bob.id}", headers=headers).get_json()
    assert (profile["followers_count"], profile["following_count"], profile["followed_by_me"]) == (2, 1, True)
    carol_profile = client.get(f"/api/v1/users/{carol.id}", headers=headers).get_json()
    assert carol_profile["followed_by_me"] is False
    mine = client.get("/api/v1/users/me", headers=headers).get_json()["user"]
    assert (mine["followers_count"], mine["following_count"]) == (0, 1)


def add_follow(follower, followed, minutes_ago):
    db.session.add(Follow(follower_id=follower.id, followed_id=followed.id,
                          created_at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def walk(client, url, headers, limit):
    cursor = None
    while True:
        response = client.get(url, headers=headers, query_string={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        yield body
        cursor = body["next_cursor"]
        if cursor is None:
            return


def test_followers_pages_have_no_duplicates_or_gaps_while_follows_arrive(client, make_user, me, headers, auth_headers):
    star = make_user()
    fans = [make_user() for _ in range(5)]
    for minutes_ago, fan in zip(range(50, 0, -10), fans):
        add_follow(fan, star, minutes_ago)
    pages = walk(client, f"/api/v1/users/{star.id}/followers", headers, limit=2)
    seen = [u["id"] for u in next(pages)["items"]]
    late = make_user()
    assert client.post(f"/api/v1/users/{star.id}/follow", headers=auth_headers(late)).status_code == 201
    for body in pages:
        seen += [u["id"] for u in body["items"]]
    assert seen == [fan.id for fan in reversed(fans)]


def test_followers_items_are_public_profiles_with_followed_by_me(client, make_user, me, headers):
    star, fan = make_user(), make_user()
    add_follow(fan, star, 2)
    add_follow(me, star, 1)
    add_follow(me, fan, 1)
    body = client.get(f"/api/v1/users/{star.id}/followers", headers=headers).get_json()
    assert [set(u) for u in body["items"]] == [PROFILE_FIELDS, PROFILE_FIELDS]
    assert [(u["id"], u["followed_by_me"], u["following_count"]) for u in body["items"]] == [
        (me.id, False, 2), (fan.id, True, 1),
    ]
    assert body["next_cursor"] is None


def test_following_pages_newest_follow_first(client, make_user, me, headers):
    stars = [make_user() for _ in range(3)]
    for minutes_ago, star in zip((30, 20, 10), stars):
        add_follow(me, star, minutes_ago)
    seen = [u["id"] for body in walk(client, f"/api/v1/users/{me.id}/following", headers, 2) for u in body["items"]]
    assert seen == [stars[2].id, stars[1].id, stars[0].id]


def test_following_accepts_legacy_page_and_per(client, make_user, me, headers):
    stars = [make_user() for _ in range(3)]
    for minutes_ago, star in zip((30, 20, 10), stars):
        add_follow(me, star, minutes_ago)
    body = client.get(f"/api/v1/users/{me.id}/following?page=2&per=2", headers=headers).get_json()
    assert [u["id"] for u in body["items"]] == [stars[0].id]


@pytest.mark.parametrize("listing", ["followers", "following"])
def test_lists_of_unknown_user_are_404(client, headers, listing):
    response = client.get(f"/api/v1/users/999999/{listing}", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize("listing", ["followers", "following"])
@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=forged", "cursor"),
    ("page=0", "page"),
])
def test_bad_paging_of_lists_is_422(client, me, headers, listing, query, field):
    response = client.get(f"/api/v1/users/{me.id}/{listing}?{query}", headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field
