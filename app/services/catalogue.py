"""The music catalogue: browsing songs, artists and albums.

Lists are keyset-paginated on id, newest first (highest id first). Every song is loaded with its album
and the album's artist in the same query (SONG_LOAD), so a page costs a fixed number of statements.
"""
from functools import cache

from sqlalchemy import String, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Album, Artist, Song
from app.pagination import Page, decode_cursor, keyset_page, literal_limit, paginate

# What SongSchema reads beyond the song's own columns.
SONG_LOAD = joinedload(Song.album).joinedload(Album.artist)


def like_contains(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (`%`, `_` and `\\` match themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(column, pattern):
    # lower(column) is what the trigram indexes cover (app/models/catalogue.py).
    return func.lower(column).like(pattern, escape="\\")


def _contains(column, text: str):
    return _matches(column, like_contains(text.lower()))


def _song_filters(pattern=None, artist_id=None, album_id=None) -> list:
    """The song list's filters; each argument is a value or a bound parameter, None for no such filter.
    `pattern` is a LIKE pattern of lower-cased text (like_contains) matched against the title or the artist."""
    songs, albums = Song.__table__, Album.__table__
    filters = []
    if pattern is not None:
        filters.append(or_(_matches(songs.c.title, pattern), _matches(songs.c.artist_name, pattern)))
    if album_id is not None:
        filters.append(songs.c.album_id == album_id)
    if artist_id is not None:
        filters.append(songs.c.album_id.in_(select(albums.c.id).where(albums.c.artist_id == artist_id)))
    return filters


def songs_query(*, q: str | None = None, artist_id: int | None = None, album_id: int | None = None):
    """Songs filtered by a search text (title or artist name), artist and album, with what SongSchema reads."""
    pattern = like_contains(q.lower()) if q else None
    return select(Song).options(SONG_LOAD).where(*_song_filters(pattern, artist_id, album_id))


def list_songs(
    *, q: str | None = None, artist_id: int | None = None, album_id: int | None = None,
    limit: int, cursor: str | None = None, page: int | None = None, per: int | None = None,
) -> Page:
    """Songs, newest first."""
    stmt = songs_query(q=q, artist_id=artist_id, album_id=album_id)
    return paginate(
        stmt, key_columns=[Song.id], key=lambda song: (song.id,), limit=limit, cursor=cursor, page=page, per=per,
    )


def list_song_rows(
    *, q: str | None = None, artist_id: int | None = None, album_id: int | None = None,
    limit: int, cursor: str | None = None,
) -> Page:
    """Songs, newest first, as flat rows (no ORM objects) from one statement built once per combination of
    filters (song_rows_statement): the same page as list_songs, for app.schemas.catalogue.dump_song_row."""
    params = {"page_limit": limit + 1}
    if q:
        params["pattern"] = like_contains(q.lower())
    if artist_id is not None:
        params["artist_id"] = artist_id
    if album_id is not None:
        params["album_id"] = album_id
    if cursor:
        (params["after_id"],) = decode_cursor(cursor, 1)
    statement = song_rows_statement(bool(q), artist_id is not None, album_id is not None, bool(cursor))
    return keyset_page(db.session.execute(statement, params).all(), limit, key=lambda row: (row.id,))


@cache
def song_rows_statement(search: bool, by_artist: bool, by_album: bool, after: bool):
    """Everything SongSchema shows, flat, with the filters list_songs applies, as bound parameters: :pattern (a
    LIKE pattern of the lower-cased text), :artist_id, :album_id, :after_id (the cursor) and :page_limit."""
    songs, albums, artists = Song.__table__, Album.__table__, Artist.__table__
    statement = select(
        songs.c.id, songs.c.title, songs.c.duration_ms, songs.c.preview_url, songs.c.isrc, songs.c.explicit,
        songs.c.deezer_id, songs.c.artist_name,
        artists.c.id.label("artist_id"), artists.c.name.label("artist_name_"),
        artists.c.deezer_id.label("artist_deezer_id"), artists.c.picture_url.label("artist_picture_url"),
        albums.c.id.label("album_id"), albums.c.title.label("album_title"), albums.c.cover_url.label("album_cover_url"),
        albums.c.deezer_id.label("album_deezer_id"), albums.c.release_date.label("album_release_date"),
    ).select_from(songs.join(albums, albums.c.id == songs.c.album_id).join(artists, artists.c.id == albums.c.artist_id))
    statement = statement.where(*_song_filters(
        bindparam("pattern", type_=String) if search else None,
        bindparam("artist_id", type_=albums.c.artist_id.type) if by_artist else None,
        bindparam("album_id", type_=songs.c.album_id.type) if by_album else None,
    ))
    if after:
        statement = statement.where(songs.c.id < bindparam("after_id", type_=songs.c.id.type))
    return statement.order_by(songs.c.id.desc()).limit(literal_limit())


def get_song(song_id: int) -> Song:
    song = db.session.scalar(select(Song).options(SONG_LOAD).where(Song.id == song_id))
    if song is None:
        raise NotFound("No such song.")
    return song


def list_artists(*, q: str | None = None, limit: int, cursor: str | None = None) -> Page:
    """Artists, newest first, optionally those whose name contains `q`."""
    stmt = select(Artist)
    if q:
        stmt = stmt.where(_contains(Artist.name, q))
    return paginate(stmt, key_columns=[Artist.id], key=lambda artist: (artist.id,), limit=limit, cursor=cursor)


def get_artist(artist_id: int) -> Artist:
    artist = db.session.scalar(select(Artist).options(selectinload(Artist.albums)).where(Artist.id == artist_id))
    if artist is None:
        raise NotFound("No such artist.")
    return artist


def get_album(album_id: int) -> Album:
    """An album with its artist and its songs in track order (each song with its album and artist)."""
    album = db.session.scalar(
        select(Album)
        .options(joinedload(Album.artist), selectinload(Album.songs).options(SONG_LOAD))
        .where(Album.id == album_id)
    )
    if album is None:
        raise NotFound("No such album.")
    return album
