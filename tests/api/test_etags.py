"""ETag on every JSON GET 200 (the body's hash), If-None-Match -> 304 without a body."""
import hashlib
import random

import pytest

from app.extensions import db
from app.models import Album
from app.services.deezer.records import AlbumRecord, ArtistRecord, TrackRecord
from app.services.ingestion import store_tracks
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


def _ingest(title, deezer_id, artist_name="Ingested artist"):
    """One page through ingestion, as a sync stores it (bumping the catalogue's version)."""
    artist = ArtistRecord(deezer_id=deezer_id + 1, name=artist_name, picture_url=None)
    album = AlbumRecord(deezer_id=deezer_id + 2, title="Ingested album", cover_url=None, release_date=None)
    store_tracks([TrackRecord(deezer_id=deezer_id, title=title, duration_ms=1000, preview_url=None, isrc=None,
                              explicit=False, artist=artist, album=album, track_position=1)])
    db.session.commit()


# Reads whose validator the server keeps: an ETag never labels two bodies, and it changes only when something
# the body shows may have changed (follow then unfollow gives the old body a new ETag). The others hash their
# body: one ETag per body and one body per ETag.
KEPT = ("/api/v2/songs", "/api/v1/songs", "/api/v2/artists", "/api/v2/albums", "/api/v1/users/",
        "/api/v1/collections/")


def test_every_etag_changes_exactly_when_its_body_does(client, headers, me, make_user, auth_headers):
    other = make_user()
    other_headers = auth_headers(other)
    song = make_song()
    album_id, artist_id = song.album_id, db.session.get(Album, song.album_id).artist_id
    collection = make_collection(me)
    review = make_review(other, song=song)
    reads = [
        "/api/v2/songs?limit=5", "/api/v1/songs?per=3", f"/api/v2/songs/{song.id}", f"/api/v1/songs/{song.id}",
        "/api/v2/artists?limit=5", f"/api/v2/artists/{artist_id}", f"/api/v2/albums/{album_id}",
        f"/api/v1/users/{other.id}", "/api/v1/users/me", f"/api/v1/users/{me.id}", "/api/v1/users?q=u",
        f"/api/v1/users/{other.id}/followers", f"/api/v1/users/{me.id}/following",
        "/api/v1/collections", f"/api/v1/collections/{collection.id}",
        f"/api/v1/songs/{song.id}/reviews", f"/api/v1/reviews/{review.id}/comments",
        "/api/v2/feed/following?limit=5", "/api/v1/feed/explore", "/api/v1/notifications",
    ]
    added = []

    def add_item():
        added.append(make_song().id)
        return client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": added[-1]},
                           headers=headers)

    deezer_ids = iter(range(90_000_000_000, 91_000_000_000, 10))
    renamed = {}

    def rename_through_ingestion():
        deezer_id = renamed.setdefault("id", next(deezer_ids))
        _ingest(f"Title {random.random()}", deezer_id)

    changes = [
        lambda: client.patch("/api/v1/users/me", json={"bio": f"bio {random.random()}"}, headers=headers),
        lambda: client.patch("/api/v1/users/me", json={"bio": f"bio {random.random()}"}, headers=other_headers),
        lambda: client.post(f"/api/v1/users/{other.id}/follow", headers=headers),
        lambda: client.delete(f"/api/v1/users/{other.id}/follow", headers=headers),
        lambda: client.post(f"/api/v1/users/{me.id}/follow", headers=other_headers),
        lambda: client.delete(f"/api/v1/users/{me.id}/follow", headers=other_headers),
        add_item,
        lambda: added and client.patch(f"/api/v1/collections/{collection.id}/items/{added[0]}",
                                       json={"position": len(added)}, headers=headers),
        lambda: added and client.delete(f"/api/v1/collections/{collection.id}/items/{added.pop()}",
                                        headers=headers),
        lambda: client.patch(f"/api/v1/collections/{collection.id}", json={"title": f"T {random.random()}"},
                             headers=headers),
        lambda: make_review(make_user(), song=song),
        lambda: client.post(f"/api/v1/reviews/{review.id}/comments", json={"text": "Yes."}, headers=headers),
        lambda: client.post(f"/api/v1/reviews/{review.id}/like", headers=headers),
        lambda: client.delete(f"/api/v1/reviews/{review.id}/like", headers=headers),
        rename_through_ingestion,
        lambda: _ingest("A new song", next(deezer_ids)),
        lambda: None,
    ]
    rng = random.Random(14)
    seen = {}  # (path, etag) -> body hash
    last = {}  # path -> (etag, body hash)
    for _ in range(40):
        rng.choice(changes)()
        for path in reads:
            reply = client.get(path, headers=headers)
            assert reply.status_code == 200, path
            body_hash, etag = hashlib.sha256(reply.data).hexdigest(), reply.headers["ETag"]
            assert seen.setdefault((path, etag), body_hash) == body_hash, f"{path}: one ETag for two bodies"
            if not path.startswith(KEPT):
                same_body = {e for (p, e), h in seen.items() if p == path and h == body_hash}
                assert same_body == {etag}, f"{path}: one body under two ETags"
            # A current ETag is a 304 without a body; the one before a change of the body is a 200.
            assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304, path
            if path in last and last[path][1] != body_hash:
                stale = client.get(path, headers={**headers, "If-None-Match": last[path][0]})
                assert stale.status_code == 200 and stale.data == reply.data, path
            last[path] = (etag, body_hash)


def test_a_kept_validator_does_not_change_while_nothing_changes(client, headers, me, make_user):
    song = make_song()
    collection = make_collection(me)
    reads = ["/api/v2/songs?limit=5", f"/api/v2/songs/{song.id}", f"/api/v1/users/{make_user().id}",
             "/api/v1/users/me", f"/api/v1/collections/{collection.id}"]
    before = {path: client.get(path, headers=headers).headers["ETag"] for path in reads}
    make_review(me, song=song)  # shown by none of these
    assert {path: client.get(path, headers=headers).headers["ETag"] for path in reads} == before


def test_a_304_from_a_kept_validator_runs_no_read_query(client, headers, me, statements):
    song = make_song()
    etag = client.get(f"/api/v2/songs/{song.id}", headers=headers).headers["ETag"]
    db.session.remove()
    statements.clear()
    reply = client.get(f"/api/v2/songs/{song.id}", headers={**headers, "If-None-Match": etag})
    assert reply.status_code == 304 and reply.headers["ETag"] == etag
    assert len(statements) == 2, statements  # the token's user, then the catalogue's version
    assert "catalogue_version" in statements[1] and "songs" not in statements[1]


def test_the_profile_etag_is_per_caller(client, headers, make_user, auth_headers):
    other = make_user()
    mine = client.get(f"/api/v1/users/{other.id}", headers=headers).headers["ETag"]
    theirs = client.get(f"/api/v1/users/{other.id}", headers=auth_headers(make_user())).headers["ETag"]
    assert mine != theirs
    # A follow changes followed_by_me for the follower only, and the count for everyone.
    client.post(f"/api/v1/users/{other.id}/follow", headers=headers)
    assert client.get(f"/api/v1/users/{other.id}", headers={**headers, "If-None-Match": mine}).status_code == 200


def test_the_profile_etag_turns_over_before_a_kept_picture_url_expires(client, headers, me, app, clock):
    etag = client.get("/api/v1/users/me", headers=headers).headers["ETag"]
    assert etag.startswith('W/"')  # the signed URL in the body is issued anew each time
    clock.advance(app.config["MEDIA_URL_TTL"] // 2 + 1)
    assert client.get("/api/v1/users/me", headers={**headers, "If-None-Match": etag}).status_code == 200


def test_an_unknown_resource_with_an_etag_is_still_a_404(client, headers, me):
    collection = make_collection(me)
    etag = client.get(f"/api/v1/collections/{collection.id}", headers=headers).headers["ETag"]
    client.delete(f"/api/v1/collections/{collection.id}", headers=headers)
    assert client.get(f"/api/v1/collections/{collection.id}",
                      headers={**headers, "If-None-Match": etag}).status_code == 404
    assert client.get("/api/v2/songs/999999", headers={**headers, "If-None-Match": "*"}).status_code == 404


def test_every_json_read_documents_its_etag_and_304(client):
    spec = client.get("/openapi.json").get_json()
    reads = [(path, ops["get"]) for path, ops in spec["paths"].items() if "get" in ops and "200" in ops["get"]["responses"]]
    assert len(reads) > 20
    for path, read in reads:
        assert "If-None-Match" in [p["name"] for p in read.get("parameters", []) if p["in"] == "header"], path
        assert "304" in read["responses"], path
