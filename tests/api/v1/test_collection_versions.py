"""Collections' `version` and If-Match: a stale ETag is 412 and changes nothing, checked in the write itself."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Collection, CollectionItem
from tests.concurrency import run_concurrently
from tests.conftest import error_codes
from tests.factories import make_collection, make_song


@pytest.fixture
def other(make_user):
    return make_user()


def detail(client, headers, collection_id):
    reply = client.get(f"/api/v1/collections/{collection_id}", headers=headers)
    assert reply.status_code == 200
    return reply


def items_of(collection_id):
    return db.session.execute(select(CollectionItem.song_id, CollectionItem.position)
                              .where(CollectionItem.collection_id == collection_id)
                              .order_by(CollectionItem.position)).all()


def state(client, headers, collection_id):
    return detail(client, headers, collection_id).get_json()


def test_version_is_1_when_created_and_grows_by_one_with_every_change(client, headers):
    created = client.post("/api/v1/collections", json={"title": "Mix"}, headers=headers).get_json()
    assert created["version"] == 1
    cid = created["id"]
    first, second = make_song().id, make_song().id
    steps = [
        lambda: client.patch(f"/api/v1/collections/{cid}", json={"title": "Mix 2"}, headers=headers),
        lambda: client.post(f"/api/v1/collections/{cid}/items", json={"song_id": first}, headers=headers),
        lambda: client.post(f"/api/v1/collections/{cid}/items", json={"song_id": second}, headers=headers),
        lambda: client.patch(f"/api/v1/collections/{cid}/items/{second}", json={"position": 1}, headers=headers),
        lambda: client.delete(f"/api/v1/collections/{cid}/items/{first}", headers=headers),
    ]
    for expected, step in enumerate(steps, start=2):
        assert step().status_code < 300
        assert state(client, headers, cid)["version"] == expected
    listed = client.get("/api/v1/collections", headers=headers).get_json()["items"]
    assert [entry["version"] for entry in listed if entry["id"] == cid] == [6]


def test_failed_changes_do_not_bump_the_version(client, me, headers):
    collection = make_collection(me)
    song = make_song()
    client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": song.id}, headers=headers)
    version = state(client, headers, collection.id)["version"]
    assert client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": song.id},
                       headers=headers).status_code == 409
    assert client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": 999_999},
                       headers=headers).status_code == 404
    assert client.delete(f"/api/v1/collections/{collection.id}/items/{make_song().id}",
                         headers=headers).status_code == 404
    assert state(client, headers, collection.id)["version"] == version


def _operations(cid, song_in, song_out):
    return {
        "patch": ("patch", f"/api/v1/collections/{cid}", {"title": "Renamed"}, 200),
        "delete": ("delete", f"/api/v1/collections/{cid}", None, 204),
        "add": ("post", f"/api/v1/collections/{cid}/items", {"song_id": song_out}, 201),
        "move": ("patch", f"/api/v1/collections/{cid}/items/{song_in}", {"position": 2}, 200),
        "remove": ("delete", f"/api/v1/collections/{cid}/items/{song_in}", None, 204),
    }


def _filled(me, client, headers):
    collection = make_collection(me)
    songs = [make_song().id for _ in range(3)]
    for song_id in songs[:2]:
        client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": song_id}, headers=headers)
    return collection.id, songs[0], songs[2]


@pytest.mark.parametrize("operation", ["patch", "delete", "add", "move", "remove"])
def test_a_current_if_match_changes_and_a_stale_one_is_412_changing_nothing(client, me, headers, operation):
    cid, song_in, song_out = _filled(me, client, headers)
    stale = detail(client, headers, cid).headers["ETag"]
    client.patch(f"/api/v1/collections/{cid}", json={"description": "Someone else's change"}, headers=headers)
    before, items_before = state(client, headers, cid), items_of(cid)
    method, path, body, status = _operations(cid, song_in, song_out)[operation]

    refused = getattr(client, method)(path, json=body, headers={**headers, "If-Match": stale})

    assert refused.status_code == 412 and error_codes(refused) == ["precondition_failed"]
    assert state(client, headers, cid) == before and items_of(cid) == items_before
    current = detail(client, headers, cid).headers["ETag"]
    assert getattr(client, method)(path, json=body, headers={**headers, "If-Match": current}).status_code == status


@pytest.mark.parametrize("if_match", [None, "*"])
def test_without_if_match_or_with_a_star_changes_are_unconditional(client, me, headers, if_match):
    cid, song_in, _ = _filled(me, client, headers)
    sent = headers if if_match is None else {**headers, "If-Match": if_match}
    assert client.patch(f"/api/v1/collections/{cid}/items/{song_in}", json={"position": 2},
                        headers=sent).status_code == 200


@pytest.mark.parametrize("etag", ['"something else"', 'W/"{weak}"', '"{other}"', '"collection.{cid}.٣.0"'])
def test_an_etag_that_is_not_this_collections_current_one_is_412(client, me, headers, etag):
    cid, _, _ = _filled(me, client, headers)
    current = detail(client, headers, cid).headers["ETag"].strip('"')
    other = detail(client, headers, make_collection(me).id).headers["ETag"].strip('"')
    sent = etag.format(weak=current, other=other, cid=cid)
    reply = client.patch(f"/api/v1/collections/{cid}", json={"title": "X"}, headers={**headers, "If-Match": sent})
    assert reply.status_code == 412


def test_if_match_lists_may_hold_the_current_etag(client, me, headers):
    cid, _, _ = _filled(me, client, headers)
    current = detail(client, headers, cid).headers["ETag"]
    reply = client.patch(f"/api/v1/collections/{cid}", json={"title": "X"},
                         headers={**headers, "If-Match": f'"old", {current}'})
    assert reply.status_code == 200


def test_someone_elses_collection_is_still_404_or_403_with_if_match(client, other, headers):
    private, public = make_collection(other, public=False), make_collection(other)
    for collection, status in ((private, 404), (public, 403)):
        reply = client.patch(f"/api/v1/collections/{collection.id}", json={"title": "X"},
                             headers={**headers, "If-Match": f'"collection.{collection.id}.1.0"'})
        assert reply.status_code == status


def test_a_catalogue_change_does_not_make_if_match_stale(client, me, headers):
    cid, _, _ = _filled(me, client, headers)
    etag = detail(client, headers, cid).headers["ETag"]
    make_song()  # the catalogue's version moves: the GET's ETag changes, the collection did not
    assert detail(client, headers, cid).headers["ETag"] != etag
    assert client.patch(f"/api/v1/collections/{cid}", json={"title": "X"},
                        headers={**headers, "If-Match": etag}).status_code == 200


@pytest.mark.parametrize("operation", ["patch", "add", "move"])
def test_two_clients_with_the_same_etag_one_wins_one_gets_412(app, client, me, headers, operation):
    cid, song_in, song_out = _filled(me, client, headers)
    etag = detail(client, headers, cid).headers["ETag"]
    version = state(client, headers, cid)["version"]
    method, path, body, status = _operations(cid, song_in, song_out)[operation]
    bodies = [body, {**body, "title": "Other"} if operation == "patch" else body]

    def change(sent):
        return lambda: getattr(app.test_client(), method)(
            path, json=sent, headers={**headers, "If-Match": etag}).status_code

    assert sorted(run_concurrently(app, [change(sent) for sent in bodies])) == sorted([status, 412])
    db.session.expire_all()
    assert db.session.get(Collection, cid).version == version + 1
    assert [position for _, position in items_of(cid)] == list(range(1, len(items_of(cid)) + 1))


def test_the_openapi_document_declares_if_match_and_412(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    writes = [("/api/v1/collections/{collection_id}", "patch"), ("/api/v1/collections/{collection_id}", "delete"),
              ("/api/v1/collections/{collection_id}/items", "post"),
              ("/api/v1/collections/{collection_id}/items/{song_id}", "patch"),
              ("/api/v1/collections/{collection_id}/items/{song_id}", "delete")]
    for path, method in writes:
        operation = paths[path][method]
        assert "If-Match" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], (path, method)
        assert "412" in operation["responses"], (path, method)
