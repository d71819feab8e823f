import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MAX_ID, Activity, Follow, Notification
from tests.concurrency import run_concurrently
from tests.conftest import error_codes


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_relationship_is_201_then_200_with_one_row(client, make_user, headers):
    bob = make_user()
    first = client.post("/api/v2/relationships", json={"followed_id": bob.id}, headers=headers)
    second = client.post("/api/v2/relationships", json={"followed_id": bob.id}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert (first.get_json()["id"], first.get_json()["followed_by_me"]) == (bob.id, True)
    assert second.get_json() == first.get_json()
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_concurrent_relationship_requests_make_one_follow(app, make_user, headers):
    bob_id = make_user().id
    attempts = 4

    def follow():
        return app.test_client().post("/api/v2/relationships", json={"followed_id": bob_id}, headers=headers).status_code

    assert sorted(run_concurrently(app, [follow] * attempts)) == [200] * (attempts - 1) + [201]
    assert (count(Follow), count(Activity), count(Notification)) == (1, 1, 1)


def test_relationship_with_yourself_is_422(client, me, headers):
    response = client.post("/api/v2/relationships", json={"followed_id": me.id}, headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]


def test_relationship_with_unknown_user_is_404(client, headers):
    response = client.post("/api/v2/relationships", json={"followed_id": 999_999}, headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize("body, field", [
    ({}, "followed_id"),
    ({"followed_id": "2"}, "followed_id"),
    ({"followed_id": 0}, "followed_id"),
    ({"followed_id": MAX_ID + 1}, "followed_id"),
    ({"followed_id": None}, "followed_id"),
    ({"followed_id": 2, "follower_id": 3}, "follower_id"),
])
def test_invalid_relationship_body_is_422(client, headers, body, field):
    response = client.post("/api/v2/relationships", json=body, headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field
    assert count(Follow) == 0


def test_deleting_relationship_is_204_and_cascades(client, make_user, headers):
    bob = make_user()
    client.post("/api/v2/relationships", json={"followed_id": bob.id}, headers=headers)
    response = client.delete(f"/api/v2/relationships/{bob.id}", headers=headers)
    assert response.status_code == 204
    assert (count(Follow), count(Activity), count(Notification)) == (0, 0, 0)


@pytest.mark.parametrize("user_id", ["known", 999_999, MAX_ID + 1])
def test_deleting_missing_relationship_is_404(client, make_user, headers, user_id):
    target = make_user().id if user_id == "known" else user_id
    response = client.delete(f"/api/v2/relationships/{target}", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_relationships_need_a_token(client, make_user):
    response = client.post("/api/v2/relationships", json={"followed_id": make_user().id})
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]
