"""Artists, albums and songs as the API shows them.

A song has its artist through its album (`songs.artist_name` is kept for display): whoever dumps a
SongSchema loads `Song.album` and `Album.artist` first (see `app.services.catalogue.SONG_LOAD`).
"""
from marshmallow import Schema, fields, validate

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


class SongSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    duration_ms = fields.Integer(allow_none=True)
    preview_url = fields.String(allow_none=True)
    isrc = fields.String(allow_none=True)
    explicit = fields.Boolean(allow_none=True)
    deezer_id = fields.Integer(allow_none=True)
    artist_name = fields.String()
    artist = fields.Nested(ArtistSchema, attribute="album.artist")
    album = fields.Nested(AlbumSummarySchema)


class AlbumSchema(AlbumSummarySchema):
    artist = fields.Nested(ArtistSchema)


class AlbumDetailSchema(AlbumSchema):
    songs = fields.List(fields.Nested(SongSchema), metadata={"description": "In track order (disk, position)."})


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
