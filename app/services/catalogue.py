"""The music catalogue: browsing songs, artists and albums.

Lists are keyset-paginated on id, newest first (highest id first). Every song is loaded with its album
and the album's artist in the same query (SONG_LOAD), so a page costs a fixed number of statements.
"""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Album, Artist, Song
from app.pagination import Page, paginate

# What SongSchema reads beyond the song's own columns.
SONG_LOAD = joinedload(Song.album).joinedload(Album.artist)


def like_contains(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (`%`, `_` and `\\` match themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, text: str):
    # lower(column) is what the trigram indexes cover (app/models/catalogue.py).
    return func.lower(column).like(like_contains(text.lower()), escape="\\")


def _song_filters(q: str | None, artist_id: int | None, album_id: int | None) -> list:
    filters = []
    if q:
        filters.append(or_(_contains(Song.title, q), _contains(Song.artist_name, q)))
    if album_id is not None:
        filters.append(Song.album_id == album_id)
    if artist_id is not None:
        filters.append(Song.album_id.in_(select(Album.id).where(Album.artist_id == artist_id)))
    return filters


def songs_query(*, q: str | None = None, artist_id: int | None = None, album_id: int | None = None):
    """Songs filtered by a search text (title or artist name), artist and album, with what SongSchema reads."""
    return select(Song).options(SONG_LOAD).where(*_song_filters(q, artist_id, album_id))


# Everything SongSchema shows, flat, for one Core query (the lean path: app.schemas.catalogue.dump_song_row).
SONG_ROW = (
    Song.id, Song.title, Song.duration_ms, Song.preview_url, Song.isrc, Song.explicit, Song.deezer_id,
    Song.artist_name,
    Artist.id.label("artist_id"), Artist.name.label("artist_name_"), Artist.deezer_id.label("artist_deezer_id"),
    Artist.picture_url.label("artist_picture_url"),
    Album.id.label("album_id"), Album.title.label("album_title"), Album.cover_url.label("album_cover_url"),
    Album.deezer_id.label("album_deezer_id"), Album.release_date.label("album_release_date"),
)


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
    """Songs, newest first, as SONG_ROW rows from one query (no ORM objects): the same page as list_songs."""
    stmt = (
        select(*SONG_ROW)
        .join(Album, Album.id == Song.album_id)
        .join(Artist, Artist.id == Album.artist_id)
        .where(*_song_filters(q, artist_id, album_id))
    )
    return paginate(
        stmt, key_columns=[Song.id], key=lambda row: (row.id,), limit=limit, cursor=cursor,
        execute=lambda s: db.session.execute(s).all(),
    )


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
