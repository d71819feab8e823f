import pytest

from tests.conftest import error_codes
from tests.factories import count_queries, make_album, make_artist, make_song


@pytest.fixture
def headers(make_user, auth_headers):
    return auth_headers(make_user())


@pytest.mark.parametrize("path", ["/api/v2/songs", "/api/v2/songs/1", "/api/v2/artists", "/api/v2/artists/1",
                                  "/api/v2/albums/1"])
def test_catalogue_needs_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_v2_song_list_filters_by_query_on_artist_name(client, headers):
    make_song("Around the World", artist=make_artist("Daft Punk")), make_song("Other", artist=make_artist("Air"))
    body = client.get("/api/v2/songs?q=PUNK", headers=headers).get_json()
    assert [s["title"] for s in body["items"]] == ["Around the World"]
    assert body["next_cursor"] is None


def test_v2_song_list_ignores_legacy_page(client, headers):
    songs = [make_song() for _ in range(3)]
    body = client.get("/api/v2/songs?limit=2", headers=headers).get_json()
    assert [s["id"] for s in body["items"]] == [songs[2].id, songs[1].id]
    assert body["next_cursor"]


def test_v2_song_detail(client, headers):
    song = make_song("Digital Love")
    body = client.get(f"/api/v2/songs/{song.id}", headers=headers).get_json()
    assert body["title"] == "Digital Love" and body["album"]["id"] == song.album_id


@pytest.mark.parametrize("path", ["/api/v2/songs/999", "/api/v2/artists/999", "/api/v2/albums/999",
                                  "/api/v2/songs/9223372036854775808"])
def test_unknown_catalogue_ids_are_404(client, headers, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_artists_are_listed_newest_first_and_filtered_by_name(client, headers):
    make_artist("Daft Punk"), make_artist("Air")
    punk = make_artist("Punk Rockers")
    body = client.get("/api/v2/artists?q=punk&limit=1", headers=headers).get_json()
    assert body["items"] == [{"id": punk.id, "name": "Punk Rockers", "deezer_id": punk.deezer_id, "picture_url": None}]
    second = client.get(f"/api/v2/artists?q=punk&limit=1&cursor={body['next_cursor']}", headers=headers).get_json()
    assert [a["name"] for a in second["items"]] == ["Daft Punk"] and second["next_cursor"] is None


def test_artist_underscore_query_matches_only_underscore(client, headers):
    make_artist("a_b"), make_artist("axb")
    body = client.get("/api/v2/artists?q=_", headers=headers).get_json()
    assert [a["name"] for a in body["items"]] == ["a_b"]


@pytest.mark.parametrize("query, field", [("limit=abc", "limit"), ("cursor=x", "cursor"), ("q=" + "x" * 101, "q")])
def test_bad_artist_list_parameters_are_422(client, headers, query, field):
    response = client.get(f"/api/v2/artists?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field


def test_artist_detail_includes_albums(client, headers):
    artist = make_artist("Daft Punk")
    first, second = make_album(artist=artist, title="Homework"), make_album(artist=artist, title="Discovery")
    body = client.get(f"/api/v2/artists/{artist.id}", headers=headers).get_json()
    assert body["name"] == "Daft Punk"
    assert [(a["id"], a["title"]) for a in body["albums"]] == [(first.id, "Homework"), (second.id, "Discovery")]
    assert set(body["albums"][0]) == {"id", "title", "cover_url", "deezer_id", "release_date"}


def test_album_detail_has_artist_and_songs_in_track_order(client, headers):
    artist = make_artist("Daft Punk")
    album = make_album(artist=artist, title="Discovery")
    b = make_song("Aerodynamic", album=album, disk_number=1, track_position=2)
    a = make_song("One More Time", album=album, disk_number=1, track_position=1)
    body = client.get(f"/api/v2/albums/{album.id}", headers=headers).get_json()
    assert body["title"] == "Discovery"
    assert body["artist"]["name"] == "Daft Punk"
    assert [s["id"] for s in body["songs"]] == [a.id, b.id]
    assert body["songs"][0]["artist"]["id"] == artist.id


def test_album_detail_statement_count_does_not_grow_with_track_count(client, headers):
    def statements(track_count):
        album = make_album()
        for _ in range(track_count):
            make_song(album=album)
        path = f"/api/v2/albums/{album.id}"
        with count_queries() as counter:
            assert client.get(path, headers=headers).status_code == 200
        return counter.count

    assert statements(1) == statements(10)


def test_v2_song_page_statement_count_does_not_grow_with_page_size(client, headers):
    def statements(limit):
        with count_queries() as counter:
            assert client.get(f"/api/v2/songs?limit={limit}", headers=headers).status_code == 200
        return counter.count

    for _ in range(12):
        make_song(artist=make_artist())
    assert statements(3) == statements(12)
