"""The lean dump path of song lists equals SongSchema's dump, field for field and byte for byte."""
import json
from datetime import date

from flask import jsonify

from app.extensions import db
from app.schemas.catalogue import SongSchema, dump_song_row
from app.schemas.common import page_of
from app.services import catalogue
from tests.factories import make_album, make_artist, make_song


def songs_with_every_kind_of_value():
    artist = make_artist("Daft Punk", picture_url="https://cdn.example/dp.jpg")
    bare_artist = make_artist("Nobody", deezer_id=None)
    album = make_album(artist, "Discovery", cover_url="https://cdn.example/d.jpg", release_date=date(2001, 3, 12))
    undated = make_album(bare_artist, "Demo", deezer_id=None, release_date=None)
    make_song("One More Time", album, preview_url="https://p.example/1.mp3", isrc="GBDUW0000053", explicit=False)
    make_song("Crescendolls", album, explicit=True, duration_ms=None, deezer_id=None)
    make_song("Ünïcode “quotes” \\ and \u2028", undated, explicit=None, artist_name="Nobody & Co")


def test_lean_song_rows_equal_the_schema_dump_of_the_same_songs(app):
    songs_with_every_kind_of_value()

    lean = [dump_song_row(row) for row in catalogue.list_song_rows(limit=10).items]
    schema = SongSchema(many=True).dump(catalogue.list_songs(limit=10).items)

    assert len(lean) == 3 and lean == schema


def test_lean_song_page_sends_the_bytes_the_schema_would(app, client, make_user, auth_headers):
    songs_with_every_kind_of_value()
    headers = auth_headers(make_user())

    response = client.get("/api/v2/songs?limit=2", headers=headers)

    with app.test_request_context():
        page = catalogue.list_songs(limit=2)
        expected = jsonify(page_of(SongSchema)().dump(page)).get_data()
    db.session.remove()
    assert response.status_code == 200
    assert response.get_data() == expected
    assert json.loads(expected)["next_cursor"]
