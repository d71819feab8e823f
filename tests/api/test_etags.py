"""ETag on every JSON GET 200 (the body's hash), If-None-Match -> 304 without a body."""
import hashlib
import random

import pytest

from tests.factories import make_collection, make_review, make_song


def test_a_json_read_carries_an_etag_and_a_current_one_is_304_without_a_body(client, headers):
    make_song()
    first = client.get("/api/v2/songs?limit=20", headers=headers)
    etag = first.headers["ETag"]

    again = client.get("/api/v2/songs?limit=20", headers={**headers, "If-None-Match": etag})

    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("if_none_match", ["*", None])
def test_a_star_is_304_and_a_stale_etag_a_normal_200(client, headers, if_none_match):
    first = client.get("/api/v1/users/me", headers=headers)
    sent = if_none_match or '"stale"'
    reply = client.get("/api/v1/users/me", headers={**headers, "If-None-Match": sent})
    if if_none_match == "*":
        assert reply.status_code == 304
    else:
        assert reply.status_code == 200 and reply.data == first.data


def test_errors_and_writes_carry_no_etag(client, headers):
    assert "ETag" not in client.get("/api/v1/songs/999999", headers=headers).headers
    assert "ETag" not in client.post("/api/v1/collections", json={"title": "A"}, headers=headers).headers


def test_every_etag_changes_exactly_when_its_body_does(client, headers, me, make_user):
    # Random changes, then every read again: equal bodies must have equal ETags and different bodies different ones.
    other = make_user()
    song = make_song()
    collection = make_collection(me)
    reads = ["/api/v2/songs?limit=5", f"/api/v1/users/{other.id}", "/api/v1/users/me", "/api/v1/collections",
             f"/api/v1/collections/{collection.id}", f"/api/v1/songs/{song.id}/reviews"]
    changes = [
        lambda: client.patch("/api/v1/users/me", json={"bio": f"bio {random.random()}"}, headers=headers),
        lambda: client.post(f"/api/v1/users/{other.id}/follow", headers=headers),
        lambda: client.delete(f"/api/v1/users/{other.id}/follow", headers=headers),
        lambda: client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": make_song().id},
                            headers=headers),
        lambda: make_review(make_user(), song=song),
        lambda: None,
    ]
    rng = random.Random(19)
    seen = {}
    for _ in range(12):
        rng.choice(changes)()
        for path in reads:
            reply = client.get(path, headers=headers)
            assert reply.status_code == 200, path
            body_hash = hashlib.sha256(reply.data).hexdigest()
            etag = reply.headers["ETag"]
            seen.setdefault((path, etag), body_hash)
            assert seen[(path, etag)] == body_hash, f"{path}: one ETag for two bodies"
            same_body = {e for (p, e), h in seen.items() if p == path and h == body_hash}
            assert same_body == {etag}, f"{path}: one body under two ETags"


def test_every_json_read_documents_its_etag_and_304(client):
    spec = client.get("/openapi.json").get_json()
    reads = [(path, ops["get"]) for path, ops in spec["paths"].items() if "get" in ops and "200" in ops["get"]["responses"]]
    assert len(reads) > 20
    for path, read in reads:
        assert "If-None-Match" in [p["name"] for p in read.get("parameters", []) if p["in"] == "header"], path
        assert "304" in read["responses"], path
