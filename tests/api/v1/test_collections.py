import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, Collection, CollectionItem
from tests.conftest import error_codes
from tests.factories import count_queries, make_artist, make_collection, make_song


@pytest.fixture
def other(make_user):
    return make_user()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_collection_is_201(client, me, headers):
    response = client.post("/api/v1/collections", json={"title": "Road trip"}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("title", "description", "public", "user_id", "item_count", "items")} == {
        "title": "Road trip", "description": "", "public": True, "user_id": me.id, "item_count": 0, "items": []}
    assert set(body) == {"id", "title", "description", "public", "version", "user_id", "created_at", "updated_at",
                         "item_count", "items"}
    assert count(Collection) == 1 and count(Activity) == 1


@pytest.mark.parametrize("body, field", [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "ok", "public": "maybe"}, "public"),
    ({"title": "ok", "description": None}, "description"),
    ({"title": "ok", "user_id": 5}, "user_id"),
])
def test_invalid_collection_bodies_are_422(client, headers, body, field):
    response = client.post("/api/v1/collections", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]
    assert count(Collection) == 0


def test_my_collections_include_private_ones_newest_first(client, me, other, headers):
    public, private = make_collection(me), make_collection(me, public=False)
    make_collection(other)
    body = client.get("/api/v1/collections", headers=headers).get_json()
    assert [c["id"] for c in body["items"]] == [private.id, public.id]


def test_another_users_collections_are_only_the_public_ones(client, other, headers):
    public = make_collection(other, songs=[make_song()])
    make_collection(other, public=False)
    body = client.get(f"/api/v1/collections?user_id={other.id}", headers=headers).get_json()
    assert [(c["id"], c["item_count"]) for c in body["items"]] == [(public.id, 1)]


def test_collections_of_unknown_user_are_404(client, headers):
    assert client.get("/api/v1/collections?user_id=999", headers=headers).status_code == 404


def test_collection_list_pages_with_a_cursor(client, me, headers):
    made = [make_collection(me) for _ in range(3)]
    first = client.get("/api/v1/collections?limit=2", headers=headers).get_json()
    second = client.get(f"/api/v1/collections?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [c["id"] for c in first["items"] + second["items"]] == [c.id for c in reversed(made)]


def test_collection_detail_lists_items_in_position_order(client, me, headers):
    a, b = make_song("A"), make_song("B")
    collection = make_collection(me, songs=[b, a])
    body = client.get(f"/api/v1/collections/{collection.id}", headers=headers).get_json()
    assert [(i["position"], i["song"]["id"]) for i in body["items"]] == [(1, b.id), (2, a.id)]
    assert body["items"][0]["song"]["artist"]["id"] and body["item_count"] == 2


def test_someone_elses_public_collection_is_readable(client, other, headers):
    collection = make_collection(other)
    assert client.get(f"/api/v1/collections/{collection.id}", headers=headers).status_code == 200


def test_someone_elses_private_collection_is_404(client, other, headers):
    collection = make_collection(other, public=False)
    response = client.get(f"/api/v1/collections/{collection.id}", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_collection_detail_statement_count_does_not_grow_with_items(client, me, headers):
    def statements(size):
        collection = make_collection(me, songs=[make_song(artist=make_artist()) for _ in range(size)])
        path = f"/api/v1/collections/{collection.id}"
        with count_queries() as counter:
            assert client.get(path, headers=headers).status_code == 200
        return counter.count

    assert statements(1) == statements(8)


def test_owner_updates_collection(client, me, headers):
    collection_id = make_collection(me).id
    response = client.patch(f"/api/v1/collections/{collection_id}",
                            json={"title": "New", "description": "d", "public": False}, headers=headers)
    assert response.status_code == 200
    assert {k: response.get_json()[k] for k in ("title", "description", "public")} == {
        "title": "New", "description": "d", "public": False}
    db.session.expire_all()
    assert db.session.get(Collection, collection_id).public is False


@pytest.mark.parametrize("public, status", [(True, 403), (False, 404)])
@pytest.mark.parametrize("method, path, body", [
    ("patch", "", {"title": "x"}),
    ("delete", "", None),
    ("post", "/items", "song"),
    ("patch", "/items/{song}", {"position": 1}),
    ("delete", "/items/{song}", None),
])
def test_writing_someone_elses_collection(client, other, headers, public, status, method, path, body):
    song = make_song()
    collection = make_collection(other, public=public, songs=[song])
    body = {"song_id": song.id} if body == "song" else body
    url = f"/api/v1/collections/{collection.id}" + path.format(song=song.id)
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code == status
    assert count(Collection) == 1 and count(CollectionItem) == 1


def test_owner_deletes_collection(client, me, headers):
    collection = make_collection(me, songs=[make_song()])
    assert client.delete(f"/api/v1/collections/{collection.id}", headers=headers).status_code == 204
    assert count(Collection) == 0 and count(CollectionItem) == 0


def test_add_item_is_201_with_its_place(client, me, headers):
    collection = make_collection(me, songs=[make_song()])
    song = make_song()
    response = client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": song.id}, headers=headers)
    assert response.status_code == 201
    assert response.get_json() == {"collection_id": collection.id, "song_id": song.id, "position": 2}


def test_adding_a_song_already_there_is_409(client, me, headers):
    song = make_song()
    collection = make_collection(me, songs=[song])
    response = client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": song.id}, headers=headers)
    assert response.status_code == 409
    assert error_codes(response) == ["conflict"]


def test_adding_an_unknown_song_is_404(client, me, headers):
    collection = make_collection(me)
    response = client.post(f"/api/v1/collections/{collection.id}/items", json={"song_id": 999}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["field"] == "song_id"


def test_adding_to_an_unknown_collection_is_404(client, headers):
    song = make_song()
    assert client.post("/api/v1/collections/999/items", json={"song_id": song.id}, headers=headers).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "song_id"),
    ({"song_id": "1"}, "song_id"),
    ({"song_id": 1, "position": 0}, "position"),
    ({"song_id": 1, "position": "2"}, "position"),
    ({"song_id": 1, "collection_id": 2}, "collection_id"),
])
def test_invalid_item_bodies_are_422(client, me, headers, body, field):
    collection = make_collection(me)
    response = client.post(f"/api/v1/collections/{collection.id}/items", json=body, headers=headers)
    assert response.status_code == 422
    assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_move_item_answers_its_new_place(client, me, headers):
    songs = [make_song() for _ in range(3)]
    collection = make_collection(me, songs=songs)
    response = client.patch(f"/api/v1/collections/{collection.id}/items/{songs[2].id}", json={"position": 1},
                            headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"collection_id": collection.id, "song_id": songs[2].id, "position": 1}
    items = client.get(f"/api/v1/collections/{collection.id}", headers=headers).get_json()["items"]
    assert [(i["position"], i["song"]["id"]) for i in items] == [
        (1, songs[2].id), (2, songs[0].id), (3, songs[1].id)]


@pytest.mark.parametrize("body", [{}, {"position": 0}, {"position": None}, {"position": 1.5}])
def test_invalid_moves_are_422(client, me, headers, body):
    song = make_song()
    collection = make_collection(me, songs=[song])
    assert client.patch(f"/api/v1/collections/{collection.id}/items/{song.id}", json=body,
                        headers=headers).status_code == 422


def test_moving_a_song_not_in_the_collection_is_404(client, me, headers):
    collection = make_collection(me, songs=[make_song()])
    assert client.patch(f"/api/v1/collections/{collection.id}/items/{make_song().id}", json={"position": 1},
                        headers=headers).status_code == 404


def test_remove_item_is_204_and_closes_the_gap(client, me, headers):
    songs = [make_song() for _ in range(3)]
    collection = make_collection(me, songs=songs)
    assert client.delete(f"/api/v1/collections/{collection.id}/items/{songs[0].id}", headers=headers).status_code == 204
    items = client.get(f"/api/v1/collections/{collection.id}", headers=headers).get_json()["items"]
    assert [(i["position"], i["song"]["id"]) for i in items] == [(1, songs[1].id), (2, songs[2].id)]


def test_removing_a_song_not_in_the_collection_is_404(client, me, headers):
    collection = make_collection(me)
    assert client.delete(f"/api/v1/collections/{collection.id}/items/{make_song().id}",
                         headers=headers).status_code == 404


@pytest.mark.parametrize("public", [0, 1, "true", "false", "yes", None])
def test_public_must_be_a_json_boolean(client, headers, public):
    response = client.post("/api/v1/collections", json={"title": "ok", "public": public}, headers=headers)
    assert response.status_code == 422
    assert [e.get("field") for e in response.get_json()["errors"]] == ["public"]
    assert count(Collection) == 0


def test_public_cannot_be_changed_with_a_number(client, me, headers):
    collection = make_collection(me)
    response = client.patch(f"/api/v1/collections/{collection.id}", json={"public": 0}, headers=headers)
    assert response.status_code == 422
    assert db.session.get(Collection, collection.id).public is True
