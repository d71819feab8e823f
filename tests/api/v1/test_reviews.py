import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Review
from tests.conftest import error_codes
from tests.factories import make_comment, make_like, make_review, make_song


def test_create_review_answers_201_with_the_review(client, me, headers):
    song = make_song()
    response = client.post("/api/v1/reviews", json={"song_id": song.id, "rating": 4, "review_text": "Good"},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "song_id", "rating", "review_text", "created_at", "updated_at", "user",
                         "like_count", "comment_count", "liked_by_me"}
    assert (body["song_id"], body["rating"], body["review_text"]) == (song.id, 4, "Good")
    assert (body["like_count"], body["comment_count"], body["liked_by_me"]) == (0, 0, False)
    assert body["user"]["id"] == me.id and "email" not in body["user"]
    assert body["created_at"].endswith("+00:00")
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_second_review_of_the_same_song_is_409(client, headers):
    song = make_song()
    client.post("/api/v1/reviews", json={"song_id": song.id, "rating": 4}, headers=headers)
    response = client.post("/api/v1/reviews", json={"song_id": song.id, "rating": 2}, headers=headers)
    assert response.status_code == 409
    assert error_codes(response) == ["conflict"]


def test_review_of_unknown_song_is_404(client, headers):
    response = client.post("/api/v1/reviews", json={"song_id": 999, "rating": 4}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["field"] == "song_id"


@pytest.mark.parametrize("body, field", [
    ({"rating": 4}, "song_id"),
    ({"song_id": 1}, "rating"),
    ({"song_id": 1, "rating": 0}, "rating"),
    ({"song_id": 1, "rating": 6}, "rating"),
    ({"song_id": 1, "rating": "5"}, "rating"),
    ({"song_id": 1, "rating": 4.5}, "rating"),
    ({"song_id": "x", "rating": 4}, "song_id"),
    ({"song_id": 9223372036854775808, "rating": 4}, "song_id"),
    ({"song_id": 1, "rating": 4, "review_text": "x" * 5001}, "review_text"),
    ({"song_id": 1, "rating": 4, "user_id": 2}, "user_id"),
])
def test_invalid_review_bodies_are_422(client, headers, body, field):
    make_song()
    response = client.post("/api/v1/reviews", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]
    assert set(error_codes(response)) == {"validation_error"}


def test_song_reviews_are_newest_first_with_counts(client, make_user, me, headers):
    song = make_song()
    older = make_review(make_user(), song)
    newer = make_review(make_user(), song)
    make_like(me, review=older)
    make_comment(me, older)
    make_review(make_user())  # another song's review
    body = client.get(f"/api/v1/songs/{song.id}/reviews", headers=headers).get_json()
    assert [r["id"] for r in body["items"]] == [newer.id, older.id]
    assert (body["items"][1]["like_count"], body["items"][1]["comment_count"], body["items"][1]["liked_by_me"]) == (
        1, 1, True)
    assert body["items"][0]["user"]["followers_count"] == 0


def test_song_reviews_page_with_a_cursor(client, make_user, headers):
    song = make_song()
    reviews = [make_review(make_user(), song) for _ in range(3)]
    first = client.get(f"/api/v1/songs/{song.id}/reviews?limit=2", headers=headers).get_json()
    second = client.get(f"/api/v1/songs/{song.id}/reviews?limit=2&cursor={first['next_cursor']}",
                        headers=headers).get_json()
    assert [r["id"] for r in first["items"] + second["items"]] == [r.id for r in reversed(reviews)]


def test_reviews_of_unknown_song_are_404(client, headers):
    assert client.get("/api/v1/songs/999/reviews", headers=headers).status_code == 404


def test_get_review(client, me, headers):
    review = make_review(me)
    body = client.get(f"/api/v1/reviews/{review.id}", headers=headers).get_json()
    assert body["id"] == review.id and body["user"]["username"] == me.username


@pytest.mark.parametrize("method", ["patch", "put"])
def test_author_updates_review(client, me, headers, method):
    review = make_review(me, rating=2, review_text="meh")
    response = getattr(client, method)(f"/api/v1/reviews/{review.id}", json={"rating": 5}, headers=headers)
    assert response.status_code == 200
    assert (response.get_json()["rating"], response.get_json()["review_text"]) == (5, "meh")
    db.session.expire_all()
    assert db.session.get(Review, review.id).rating == 5


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_changing_someone_elses_review_is_403(client, make_user, headers, method):
    review = make_review(make_user())
    response = getattr(client, method)(f"/api/v1/reviews/{review.id}", json={"rating": 1}, headers=headers)
    assert response.status_code == 403
    assert error_codes(response) == ["forbidden"]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_review_is_404(client, headers, method):
    response = getattr(client, method)("/api/v1/reviews/999", json={"rating": 1}, headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("body", [{"rating": 0}, {"rating": None}, {"song_id": 2}, {"review_text": "x" * 5001}])
def test_invalid_review_changes_are_422(client, me, headers, body):
    review = make_review(me)
    assert client.patch(f"/api/v1/reviews/{review.id}", json=body, headers=headers).status_code == 422


def test_author_deletes_review(client, me, headers):
    review = make_review(me)
    response = client.delete(f"/api/v1/reviews/{review.id}", headers=headers)
    assert response.status_code == 204
    assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_reviews_need_a_token(client):
    assert client.post("/api/v1/reviews", json={"song_id": 1, "rating": 3}).status_code == 401
