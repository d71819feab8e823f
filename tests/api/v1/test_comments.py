import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment
from tests.conftest import error_codes
from tests.factories import make_comment, make_review


def count():
    return db.session.scalar(select(func.count()).select_from(Comment))


def test_comment_on_a_review_is_201(client, make_user, me, headers):
    review = make_review(make_user())
    response = client.post(f"/api/v1/reviews/{review.id}/comments", json={"text": "So true"}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "review_id", "text", "created_at", "user"}
    assert (body["review_id"], body["text"]) == (review.id, "So true")
    assert body["user"] == {"id": me.id, "username": me.username, "profile_picture_url": None}
    assert count() == 1


def test_generic_comment_is_201(client, make_user, headers):
    review = make_review(make_user())
    response = client.post("/api/v1/comments", json={"commentable_type": "Review", "commentable_id": review.id,
                                                     "text": "Hi"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["review_id"] == review.id


def test_comment_on_unknown_review_is_404(client, headers):
    assert client.post("/api/v1/reviews/999/comments", json={"text": "x"}, headers=headers).status_code == 404
    response = client.post("/api/v1/comments", json={"commentable_type": "Review", "commentable_id": 999,
                                                     "text": "x"}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["field"] == "commentable_id"


@pytest.mark.parametrize("body, field", [
    ({}, "text"),
    ({"text": ""}, "text"),
    ({"text": "x" * 2001}, "text"),
    ({"text": 5}, "text"),
    ({"text": "ok", "review_id": 3}, "review_id"),
])
def test_invalid_comment_bodies_are_422(client, make_user, headers, body, field):
    review = make_review(make_user())
    response = client.post(f"/api/v1/reviews/{review.id}/comments", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]


@pytest.mark.parametrize("body, field", [
    ({"commentable_type": "Song", "commentable_id": 1, "text": "x"}, "commentable_type"),
    ({"commentable_type": "Review", "text": "x"}, "commentable_id"),
    ({"commentable_id": 1, "text": "x"}, "commentable_type"),
])
def test_invalid_generic_comment_bodies_are_422(client, headers, body, field):
    response = client.post("/api/v1/comments", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_comments_are_listed_oldest_first_with_a_cursor(client, make_user, headers):
    review = make_review(make_user())
    comments = [make_comment(make_user(), review, f"c{i}") for i in range(3)]
    first = client.get(f"/api/v1/reviews/{review.id}/comments?limit=2", headers=headers).get_json()
    second = client.get(f"/api/v1/reviews/{review.id}/comments?limit=2&cursor={first['next_cursor']}",
                        headers=headers).get_json()
    assert [c["id"] for c in first["items"] + second["items"]] == [c.id for c in comments]
    assert second["next_cursor"] is None


def test_comments_of_unknown_review_are_404(client, headers):
    assert client.get("/api/v1/reviews/999/comments", headers=headers).status_code == 404


def test_author_deletes_a_comment(client, make_user, me, headers):
    comment = make_comment(me, make_review(make_user()))
    assert client.delete(f"/api/v1/comments/{comment.id}", headers=headers).status_code == 204
    assert count() == 0


def test_deleting_someone_elses_comment_is_403(client, make_user, headers):
    comment = make_comment(make_user(), make_review(make_user()))
    response = client.delete(f"/api/v1/comments/{comment.id}", headers=headers)
    assert response.status_code == 403
    assert error_codes(response) == ["forbidden"]
    assert count() == 1


def test_deleting_unknown_comment_is_404(client, headers):
    assert client.delete("/api/v1/comments/999", headers=headers).status_code == 404
