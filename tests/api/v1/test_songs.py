from datetime import date

import pytest

from tests.conftest import error_codes
from tests.factories import count_queries, make_album, make_artist, make_song


@pytest.fixture
def headers(make_user, auth_headers):
    return auth_headers(make_user())


def test_song_list_needs_a_token(client):
    response = client.get("/api/v1/songs")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_song_has_the_contract_shape(client, headers):
    artist = make_artist("Daft Punk", deezer_id=27, picture_url="https://e/p.jpg")
    album = make_album(artist=artist, title="Discovery", deezer_id=302127, release_date=date(2001, 3, 7))
    song = make_song("One More Time", album=album, deezer_id=3135553, isrc="GBDUW0000053", explicit=False,
                     preview_url="https://e/p.mp3", duration_ms=320000)
    response = client.get(f"/api/v1/songs/{song.id}", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": song.id, "title": "One More Time", "duration_ms": 320000, "preview_url": "https://e/p.mp3",
        "isrc": "GBDUW0000053", "explicit": False, "deezer_id": 3135553, "artist_name": "Daft Punk",
        "artist": {"id": artist.id, "name": "Daft Punk", "deezer_id": 27, "picture_url": "https://e/p.jpg"},
        "album": {"id": album.id, "title": "Discovery", "cover_url": None, "deezer_id": 302127,
                  "release_date": "2001-03-07"},
    }


def test_unknown_release_date_is_null(client, headers):
    song = make_song(album=make_album(release_date=None))
    assert client.get(f"/api/v1/songs/{song.id}", headers=headers).get_json()["album"]["release_date"] is None


def test_unknown_song_is_404(client, headers):
    response = client.get("/api/v1/songs/999", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_song_list_is_newest_first_with_a_cursor(client, headers):
    songs = [make_song() for _ in range(3)]
    first = client.get("/api/v1/songs?limit=2", headers=headers).get_json()
    second = client.get(f"/api/v1/songs?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [s["id"] for s in first["items"] + second["items"]] == [s.id for s in reversed(songs)]
    assert second["next_cursor"] is None


def test_song_list_accepts_legacy_page_and_per(client, headers):
    songs = [make_song() for _ in range(3)]
    body = client.get("/api/v1/songs?page=2&per=2", headers=headers).get_json()
    assert [s["id"] for s in body["items"]] == [songs[0].id]


def test_song_list_filters_by_query(client, headers):
    make_song("Get Lucky"), make_song("Instant Crush")
    body = client.get("/api/v1/songs?q=lUcKy", headers=headers).get_json()
    assert [s["title"] for s in body["items"]] == ["Get Lucky"]


def test_percent_in_query_matches_only_a_literal_percent(client, headers):
    make_song("100% Pure"), make_song("1000 Pure")
    body = client.get("/api/v1/songs", query_string={"q": "0%"}, headers=headers).get_json()
    assert [s["title"] for s in body["items"]] == ["100% Pure"]


def test_song_list_filters_by_artist_and_album(client, headers):
    artist = make_artist()
    album = make_album(artist=artist)
    wanted = make_song(album=album)
    make_song(album=make_album(artist=artist)), make_song()
    body = client.get(f"/api/v1/songs?artist_id={artist.id}&album_id={album.id}", headers=headers).get_json()
    assert [s["id"] for s in body["items"]] == [wanted.id]


@pytest.mark.parametrize("query, field", [
    ("artist_id=abc", "artist_id"),
    ("album_id=0", "album_id"),
    ("artist_id=9223372036854775808", "artist_id"),
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("cursor=forged", "cursor"),
    ("page=0", "page"),
    ("q=", "q"),
])
def test_bad_list_parameters_are_422(client, headers, query, field):
    response = client.get(f"/api/v1/songs?{query}", headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field


def test_song_page_statement_count_does_not_grow_with_page_size(client, headers):
    def statements(limit):
        with count_queries() as counter:
            assert client.get(f"/api/v1/songs?limit={limit}", headers=headers).status_code == 200
        return counter.count

    for _ in range(12):
        make_song(artist=make_artist())
    assert statements(2) == statements(12)
