import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Like, Notification
from tests.conftest import error_codes
from tests.factories import make_like, make_review, make_song


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_liking_a_review_is_201_then_200(client, make_user, me, headers):
    review = make_review(make_user())
    first = client.post(f"/api/v1/reviews/{review.id}/like", headers=headers)
    second = client.post(f"/api/v1/reviews/{review.id}/like", headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    body = first.get_json()
    assert set(body) == {"id", "likeable_type", "likeable_id", "user_id", "created_at"}
    assert (body["likeable_type"], body["likeable_id"], body["user_id"]) == ("Review", review.id, me.id)
    assert second.get_json()["id"] == body["id"]
    assert (count(Like), count(Activity), count(Notification)) == (1, 1, 1)


def test_liking_unknown_review_is_404(client, headers):
    assert client.post("/api/v1/reviews/999/like", headers=headers).status_code == 404


def test_unliking_a_review_is_204(client, make_user, me, headers):
    review = make_review(make_user())
    make_like(me, review=review)
    assert client.delete(f"/api/v1/reviews/{review.id}/like", headers=headers).status_code == 204
    assert count(Like) == 0


def test_unliking_a_review_not_liked_is_404(client, make_user, headers):
    review = make_review(make_user())
    response = client.delete(f"/api/v1/reviews/{review.id}/like", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize("kind", ["Review", "Song"])
def test_generic_like_is_201_then_200(client, make_user, headers, kind):
    target = make_review(make_user()) if kind == "Review" else make_song()
    body = {"likeable_type": kind, "likeable_id": target.id}
    first = client.post("/api/v1/likes", json=body, headers=headers)
    second = client.post("/api/v1/likes", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["likeable_type"] == kind and first.get_json()["likeable_id"] == target.id


@pytest.mark.parametrize("kind", ["Review", "Song"])
def test_generic_like_of_unknown_target_is_404(client, headers, kind):
    response = client.post("/api/v1/likes", json={"likeable_type": kind, "likeable_id": 999}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["field"] == "likeable_id"


@pytest.mark.parametrize("body, field", [
    ({"likeable_type": "Comment", "likeable_id": 1}, "likeable_type"),
    ({"likeable_type": "review", "likeable_id": 1}, "likeable_type"),
    ({"likeable_id": 1}, "likeable_type"),
    ({"likeable_type": "Song"}, "likeable_id"),
    ({"likeable_type": "Song", "likeable_id": "1"}, "likeable_id"),
    ({"likeable_type": "Song", "likeable_id": 0}, "likeable_id"),
    ({"likeable_type": "Song", "likeable_id": 1, "user_id": 1}, "user_id"),
])
def test_invalid_like_bodies_are_422(client, headers, body, field):
    response = client.post("/api/v1/likes", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_owner_deletes_a_like(client, me, headers):
    like = make_like(me, song=make_song())
    assert client.delete(f"/api/v1/likes/{like.id}", headers=headers).status_code == 204
    assert count(Like) == 0


def test_deleting_someone_elses_like_is_403(client, make_user, headers):
    like = make_like(make_user(), song=make_song())
    response = client.delete(f"/api/v1/likes/{like.id}", headers=headers)
    assert response.status_code == 403
    assert count(Like) == 1


def test_deleting_unknown_like_is_404(client, headers):
    assert client.delete("/api/v1/likes/999", headers=headers).status_code == 404
