"""Artists, albums and songs as the API shows them.

A song has its artist through its album (`songs.artist_name` is kept for display); SongSchema dumps the one song row
of app.services.catalogue (song_rows_select), wherever a song shows.
"""
from marshmallow import Schema, fields, pre_dump, validate

from app.models import MAX_ID


class ArtistSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    deezer_id = fields.Integer(allow_none=True)
    picture_url = fields.String(allow_none=True)


class AlbumSummarySchema(Schema):
    """An album as nested in a song."""

    id = fields.Integer()
    title = fields.String()
    cover_url = fields.String(allow_none=True)
    deezer_id = fields.Integer(allow_none=True)
    release_date = fields.Date(allow_none=True, metadata={"description": "ISO date, or null when unknown."})


def song_fields(row) -> dict:
    """A song row (app.services.catalogue.song_rows_select) in SongSchema's nested shape, values as stored."""
    return {
        "id": row.id, "title": row.title, "duration_ms": row.duration_ms, "preview_url": row.preview_url,
        "isrc": row.isrc, "explicit": row.explicit, "deezer_id": row.deezer_id, "artist_name": row.artist_name,
        "artist": {
            "id": row.artist_id, "name": row.artist_name_, "deezer_id": row.artist_deezer_id,
            "picture_url": row.artist_picture_url,
        },
        "album": {
            "id": row.album_id, "title": row.album_title, "cover_url": row.album_cover_url,
            "deezer_id": row.album_deezer_id, "release_date": row.album_release_date,
        },
    }


class SongSchema(Schema):
    """A song, dumped from a song row."""

    id = fields.Integer()
    title = fields.String()
    duration_ms = fields.Integer(allow_none=True)
    preview_url = fields.String(allow_none=True)
    isrc = fields.String(allow_none=True)
    explicit = fields.Boolean(allow_none=True)
    deezer_id = fields.Integer(allow_none=True)
    artist_name = fields.String()
    artist = fields.Nested(ArtistSchema)
    album = fields.Nested(AlbumSummarySchema)

    @pre_dump
    def from_row(self, row, **kwargs):
        return song_fields(row)


def dump_song_row(row) -> dict:
    """SongSchema's dump of a song row without per-field marshmallow calls: the lean path of song lists
    (tests/schemas/test_catalogue.py keeps the two byte-for-byte equal)."""
    song = song_fields(row)
    release_date = song["album"]["release_date"]
    song["album"]["release_date"] = release_date.isoformat() if release_date is not None else None
    return song


class AlbumSchema(AlbumSummarySchema):
    artist = fields.Nested(ArtistSchema)


class AlbumDetailSchema(AlbumSchema):
    songs = fields.List(fields.Nested(SongSchema), attribute="tracks",
                        metadata={"description": "In track order (disk, position)."})


class ArtistDetailSchema(ArtistSchema):
    albums = fields.List(fields.Nested(AlbumSummarySchema))


SEARCH = validate.Length(min=1, max=100)


def QueryId(**kwargs):
    """An id in a query string (text, so not strict), in the 64-bit signed range (else 422)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class SongFilterSchema(Schema):
    q = fields.String(
        validate=SEARCH,
        metadata={"description": "Case-insensitive substring of the title or the artist's name; "
                                 "`%`, `_` and `\\` match themselves."},
    )
    artist_id = QueryId(metadata={"description": "Only this artist's songs."})
    album_id = QueryId(metadata={"description": "Only this album's songs."})


class ArtistFilterSchema(Schema):
    q = fields.String(
        validate=SEARCH,
        metadata={"description": "Case-insensitive substring of the artist's name; `%`, `_` and `\\` match themselves."},
    )
