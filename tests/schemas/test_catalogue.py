"""The lean dump of song lists sends exactly the bytes SongSchema's dump would, for every kind of value."""
import json
from datetime import date

import pytest
from flask import jsonify

from app.schemas.catalogue import SongSchema, dump_song_row
from app.schemas.common import page_of
from app.services import catalogue
from tests.factories import make_album, make_artist, make_song
from tests.paging import paging


def songs_with_every_kind_of_value():
    artist = make_artist("Daft Punk", picture_url="https://cdn.example/dp.jpg")
    bare_artist = make_artist("Nobody", deezer_id=None)
    album = make_album(artist, "Discovery", cover_url="https://cdn.example/d.jpg", release_date=date(2001, 3, 12))
    undated = make_album(bare_artist, "Demo", deezer_id=None, release_date=None)
    make_song("One More Time", album, preview_url="https://p.example/1.mp3", isrc="GBDUW0000053", explicit=False)
    make_song("Crescendolls", album, explicit=True, duration_ms=None, deezer_id=None)
    make_song("Ünïcode “quotes” \\ and \u2028", undated, explicit=None, artist_name="Nobody & Co")


def test_lean_song_dump_is_the_schema_dump_byte_for_byte(app):
    songs_with_every_kind_of_value()
    rows = catalogue.list_songs(paging(catalogue.SONG_KEYSET, 10)).items

    with app.test_request_context():
        lean = jsonify([dump_song_row(row) for row in rows]).get_data()
        schema = jsonify(SongSchema(many=True).dump(rows)).get_data()

    assert len(rows) == 3 and lean == schema
    assert {song["album"]["release_date"] for song in json.loads(lean)} == {"2001-03-12", None}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_song_pages_send_the_bytes_the_declared_schema_would(app, client, make_user, auth_headers, version):
    songs_with_every_kind_of_value()
    headers = auth_headers(make_user())

    response = client.get(f"/api/{version}/songs?limit=2", headers=headers)

    page = catalogue.list_songs(paging(catalogue.SONG_KEYSET, 2))
    with app.test_request_context():
        expected = jsonify(page_of(SongSchema)().dump(page)).get_data()
    assert response.status_code == 200
    assert response.get_data() == expected
    assert json.loads(expected)["next_cursor"]
