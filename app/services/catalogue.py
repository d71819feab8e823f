"""The music catalogue: browsing songs, artists and albums.

A song is read one way wherever it shows (lists, one song, an album's tracks, a collection's items): as a flat row
of `song_rows_select` (the song joined to its album and the album's artist), which SongSchema and its lean dump
(app.schemas.catalogue.dump_song_row) turn into the API's shape. Lists are keyset-paginated on id, newest first.
"""
from functools import cache

from sqlalchemy import String, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Album, Artist, Song
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate

SONG_KEYSET = Keyset("songs", (int,))
ARTIST_KEYSET = Keyset("artists", (int,))

_songs, _albums, _artists = Song.__table__, Album.__table__, Artist.__table__

# Everything SongSchema shows, flat (app.schemas.catalogue.song_fields gives it its nested shape).
SONG_COLUMNS = (
    _songs.c.id, _songs.c.title, _songs.c.duration_ms, _songs.c.preview_url, _songs.c.isrc, _songs.c.explicit,
    _songs.c.deezer_id, _songs.c.artist_name,
    _artists.c.id.label("artist_id"), _artists.c.name.label("artist_name_"),
    _artists.c.deezer_id.label("artist_deezer_id"), _artists.c.picture_url.label("artist_picture_url"),
    _albums.c.id.label("album_id"), _albums.c.title.label("album_title"),
    _albums.c.cover_url.label("album_cover_url"), _albums.c.deezer_id.label("album_deezer_id"),
    _albums.c.release_date.label("album_release_date"),
)
# An album's tracks: disk, then position (unknown last on PostgreSQL, first on SQLite), then id.
TRACK_ORDER = (_songs.c.disk_number, _songs.c.track_position, _songs.c.id)


def song_rows_select(*extra_columns):
    """SELECT the song columns (plus `extra_columns`) from songs joined to their album and its artist."""
    return select(*SONG_COLUMNS, *extra_columns).select_from(
        _songs.join(_albums, _albums.c.id == _songs.c.album_id).join(_artists, _artists.c.id == _albums.c.artist_id)
    )


def like_contains(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (`%`, `_` and `\\` match themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(column, pattern):
    # lower(column) is what the trigram indexes cover (app/models/catalogue.py).
    return func.lower(column).like(pattern, escape="\\")


@cache
def _songs_statement(search: bool, by_artist: bool, by_album: bool, mode: str):
    """The songs list for one combination of filters and page mode; parameters :pattern (a LIKE pattern of the
    lower-cased text), :artist_id, :album_id and the page's own (keyset_statement)."""
    filters = []
    if search:
        pattern = bindparam("pattern", type_=String)
        filters.append(or_(_matches(_songs.c.title, pattern), _matches(_songs.c.artist_name, pattern)))
    if by_album:
        filters.append(_songs.c.album_id == bindparam("album_id", type_=_songs.c.album_id.type))
    if by_artist:
        artist_albums = select(_albums.c.id).where(
            _albums.c.artist_id == bindparam("artist_id", type_=_albums.c.artist_id.type)
        )
        filters.append(_songs.c.album_id.in_(artist_albums))
    return keyset_statement(song_rows_select().where(*filters), [_songs.c.id], mode)


def list_songs(paging: Paging, *, q: str | None = None, artist_id: int | None = None,
               album_id: int | None = None) -> Page:
    """Songs, newest first, filtered by a search text (title or artist name), artist and album: song rows."""
    params = {"pattern": like_contains(q.lower()) if q else None, "artist_id": artist_id, "album_id": album_id}
    statement = _songs_statement(bool(q), artist_id is not None, album_id is not None, paging.mode)
    return paginate(statement, paging, SONG_KEYSET, key=lambda row: (row.id,),
                    params={name: value for name, value in params.items() if value is not None})


@cache
def _song_statement():
    return song_rows_select().where(_songs.c.id == bindparam("song_id", type_=_songs.c.id.type))


def get_song(song_id: int):
    """One song row."""
    song = db.session.execute(_song_statement(), {"song_id": song_id}).first()
    if song is None:
        raise NotFound("No such song.")
    return song


@cache
def _tracks_statement():
    return (
        song_rows_select().where(_songs.c.album_id == bindparam("album_id", type_=_songs.c.album_id.type))
        .order_by(*TRACK_ORDER)
    )


@cache
def _artists_statement(search: bool, mode: str):
    stmt = select(Artist)
    if search:
        stmt = stmt.where(_matches(Artist.name, bindparam("pattern", type_=String)))
    return keyset_statement(stmt, [Artist.id], mode)


def list_artists(paging: Paging, *, q: str | None = None) -> Page:
    """Artists, newest first, optionally those whose name contains `q`."""
    params = {"pattern": like_contains(q.lower())} if q else {}
    return paginate(_artists_statement(bool(q), paging.mode), paging, ARTIST_KEYSET,
                    key=lambda artist: (artist.id,), params=params, scalars=True)


def get_artist(artist_id: int) -> Artist:
    artist = db.session.scalar(select(Artist).options(selectinload(Artist.albums)).where(Artist.id == artist_id))
    if artist is None:
        raise NotFound("No such artist.")
    return artist


def get_album(album_id: int) -> Album:
    """An album with its artist, and its tracks (song rows, in track order) as `tracks`."""
    album = db.session.scalar(select(Album).options(joinedload(Album.artist)).where(Album.id == album_id))
    if album is None:
        raise NotFound("No such album.")
    album.tracks = db.session.execute(_tracks_statement(), {"album_id": album_id}).all()
    return album
