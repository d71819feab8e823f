"""Idempotency-Key on every creating POST: replay, reuse, in flight, expiry, users apart, the document."""
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Collection, CollectionItem, Comment, Export, Follow, IdempotencyKey, Like, \
    Notification, Review, SyncJob
from app.services import cleanup, idempotency
from tests.conftest import error_codes
from tests.factories import make_collection, make_review, make_song

KEY = "retry-7f3a2c"


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def created_rows():
    """Everything a creating POST may write, counted."""
    return {model.__name__: count(model) for model in (Review, Comment, Like, Collection, CollectionItem, Follow,
                                                       Export, SyncJob, Activity, Notification)}


def post(client, path, headers, body=None, key=KEY):
    extra = {} if key is None else {"Idempotency-Key": key}
    if body is None:
        return client.post(path, headers={**headers, **extra})
    return client.post(path, data=json.dumps(body), content_type="application/json", headers={**headers, **extra})


@pytest.fixture
def world(make_user):
    """Another user with a song, a review and a collection for `me` to act on."""
    other = make_user()
    song = make_song()
    review = make_review(other, song=make_song())
    return {"other": other, "song": song, "review": review}


def creating_requests(world, me):
    """(path, body) of every creating POST the contract lists, for `me`."""
    mine = make_collection(me)
    return {
        "review": ("/api/v1/reviews", {"song_id": world["song"].id, "rating": 4}),
        "comment on review": (f"/api/v1/reviews/{world['review'].id}/comments", {"text": "Yes."}),
        "comment": ("/api/v1/comments", {"commentable_type": "Review", "commentable_id": world["review"].id,
                                          "text": "Yes."}),
        "like review": (f"/api/v1/reviews/{world['review'].id}/like", None),
        "like": ("/api/v1/likes", {"likeable_type": "Song", "likeable_id": world["song"].id}),
        "collection": ("/api/v1/collections", {"title": "Road trip"}),
        "collection item": (f"/api/v1/collections/{mine.id}/items", {"song_id": world["song"].id}),
        "follow": (f"/api/v1/users/{world['other'].id}/follow", None),
        "relationship": ("/api/v2/relationships", {"followed_id": world["other"].id}),
        "export": ("/api/v1/users/me/exports", None),
    }


ROUTES = ["review", "comment on review", "comment", "like review", "like", "collection", "collection item",
          "follow", "relationship", "export"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_repeat_answers_the_first_response_and_creates_nothing_more(client, headers, me, world, route):
    path, body = creating_requests(world, me)[route]
    first = post(client, path, headers, body)
    assert first.status_code in (201, 202), first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    rows = created_rows()

    again = post(client, path, headers, body)

    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers.get("Location") == first.headers.get("Location")
    assert created_rows() == rows


def test_without_a_key_a_repeat_runs_again(client, headers, world):
    body = {"likeable_type": "Song", "likeable_id": world["song"].id}
    assert post(client, "/api/v1/likes", headers, body, key=None).status_code == 201
    repeat = post(client, "/api/v1/likes", headers, body, key=None)
    assert repeat.status_code == 200 and "Idempotent-Replayed" not in repeat.headers


def test_the_same_key_with_another_body_is_422_and_changes_nothing(client, headers, world):
    assert post(client, "/api/v1/collections", headers, {"title": "One"}).status_code == 201
    rows = created_rows()

    other = post(client, "/api/v1/collections", headers, {"title": "Two"})

    assert other.status_code == 422
    assert error_codes(other) == ["idempotency_key_reused"]
    assert other.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert created_rows() == rows


def test_the_same_key_on_another_route_is_422(client, headers, world):
    assert post(client, f"/api/v1/users/{world['other'].id}/follow", headers).status_code == 201
    other = post(client, f"/api/v1/reviews/{world['review'].id}/like", headers)
    assert error_codes(other) == ["idempotency_key_reused"]


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "a\tb", "a\x7fb"],
                         ids=["empty", "256 characters", "not ASCII", "tab", "DEL"])
def test_a_key_that_is_not_1_to_255_printable_ascii_characters_is_422(client, headers, key):
    response = client.post("/api/v1/collections", json={"title": "One"},
                           headers={**headers, "Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert count(Collection) == 0


def test_keys_of_different_users_never_meet(client, auth_headers, make_user):
    first, second = auth_headers(make_user()), auth_headers(make_user())
    mine = post(client, "/api/v1/collections", first, {"title": "Same"})
    theirs = post(client, "/api/v1/collections", second, {"title": "Same"})

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["id"] != theirs.get_json()["id"]


def test_a_failed_request_releases_its_key(client, headers, world):
    body = {"commentable_type": "Review", "commentable_id": world["review"].id + 1000, "text": "Hi"}
    assert post(client, "/api/v1/comments", headers, body).status_code == 404
    again = post(client, "/api/v1/comments", headers, body)
    assert again.status_code == 404 and "Idempotent-Replayed" not in again.headers
    assert count(IdempotencyKey) == 0


def test_an_invalid_body_releases_its_key(client, headers):
    assert post(client, "/api/v1/collections", headers, {"title": ""}).status_code == 422
    assert count(IdempotencyKey) == 0


def test_a_repeat_while_the_first_is_in_flight_is_409(app, client, headers, me, clock):
    path, body = "/api/v1/collections", {"title": "Slow"}
    hashed = idempotency.request_hash("POST", path, b"", json.dumps(body).encode())
    held = idempotency.claim(me.id, KEY, hashed, in_flight_timeout=60)  # the first request, still running
    assert isinstance(held, idempotency.Claim)

    repeat = post(client, path, headers, body)

    assert repeat.status_code == 409 and error_codes(repeat) == ["conflict"]
    assert count(Collection) == 0


def test_a_claim_abandoned_past_the_in_flight_timeout_is_taken_over(app, client, headers, me, clock):
    path, body = "/api/v1/collections", {"title": "Slow"}
    hashed = idempotency.request_hash("POST", path, b"", json.dumps(body).encode())
    idempotency.claim(me.id, KEY, hashed, in_flight_timeout=60)  # a process that died before answering
    clock.advance(app.config["IDEMPOTENCY_IN_FLIGHT_TIMEOUT"] + 1)

    taken = post(client, path, headers, body)

    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken.headers
    assert post(client, path, headers, body).headers["Idempotent-Replayed"] == "true"
    assert count(Collection) == 1


def test_a_key_lives_24_hours_then_is_free_and_purged(client, me, auth_headers, clock):
    assert post(client, "/api/v1/collections", auth_headers(me), {"title": "One"}).status_code == 201
    clock.advance(hours=24, seconds=-1)
    replay = post(client, "/api/v1/collections", auth_headers(me), {"title": "One"})  # a token of the new time
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert cleanup.purge_idempotency_keys() == 0

    clock.advance(seconds=1)
    fresh = post(client, "/api/v1/collections", auth_headers(me), {"title": "Two"})  # expired: not "reused"
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert count(Collection) == 2

    clock.advance(hours=24)
    assert cleanup.purge_idempotency_keys() == 1
    assert count(IdempotencyKey) == 0


def test_a_replay_needs_the_token_of_its_user(client, headers):
    assert post(client, "/api/v1/collections", headers, {"title": "One"}).status_code == 201
    assert post(client, "/api/v1/collections", {}, {"title": "One"}).status_code == 401


def test_every_creating_post_documents_the_key_and_the_replay(client):
    spec = client.get("/openapi.json").get_json()
    operations = {
        "/api/v1/reviews": "201", "/api/v1/reviews/{review_id}/comments": "201", "/api/v1/comments": "201",
        "/api/v1/reviews/{review_id}/like": "201", "/api/v1/likes": "201", "/api/v1/collections": "201",
        "/api/v1/collections/{collection_id}/items": "201", "/api/v1/users/{user_id}/follow": "201",
        "/api/v2/relationships": "201", "/api/v1/users/me/exports": "202", "/api/v2/songs/sync": "202",
    }
    for path, status in operations.items():
        operation = spec["paths"][path]["post"]
        expected = ["Idempotency-Key", "If-Match"] if path.endswith("/items") else ["Idempotency-Key"]
        assert [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"] == expected, path
        assert "Idempotent-Replayed" in operation["responses"][status]["headers"], path
        assert {"409", "422"} <= set(operation["responses"]), path
