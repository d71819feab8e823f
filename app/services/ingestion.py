"""Deezer ingestion: turning the client's TrackPages into artists, albums and songs, idempotently.

Each page is written with three bulk upserts (artists, then albums, then songs) keyed on Deezer ids, in the
caller's transaction: `INSERT ... ON CONFLICT (deezer_id) DO UPDATE`, where a value Deezer did not send (None:
search items carry no ISRC nor release date) never replaces a known one, and a row whose values are all the same
is neither written nor counted. Rows are sent in Deezer-id order so concurrent jobs lock them in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from flask import current_app
from sqlalchemy import bindparam, cast, func, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db
from app.models import Album, Artist, Song, utcnow
from app.queue import redis_connection
from app.services.validators import bump_catalogue_version
from app.services.deezer import (
    AlbumRecord,
    ArtistRecord,
    DeezerClient,
    LocalSlidingWindowLimiter,
    RedisSlidingWindowLimiter,
    TrackRecord,
)

# Songs whose Deezer item names no album still need one: a per-artist album without a Deezer id.
UNKNOWN_ALBUM_TITLE = "Unknown album"


@dataclass(frozen=True)
class PageCounts:
    created: int = 0
    updated: int = 0


def deezer_client() -> DeezerClient:
    """A client on DEEZER_API_URL whose quota is shared by every worker through Redis when REDIS_URL is set."""
    config = current_app.config
    window = {"max_requests": config["DEEZER_MAX_REQUESTS"], "window_seconds": config["DEEZER_WINDOW_SECONDS"]}
    redis = redis_connection()
    if redis is not None:
        limiter = RedisSlidingWindowLimiter(redis, **window)
    else:
        # In-process mode: one limiter per app, so successive syncs in this process share the window.
        limiter = current_app.extensions.get("listify_deezer_limiter")
        if limiter is None:
            limiter = current_app.extensions["listify_deezer_limiter"] = LocalSlidingWindowLimiter(**window)
    return DeezerClient(config["DEEZER_API_URL"], limiter, attempt_deadline=config["DEEZER_ATTEMPT_DEADLINE"],
                        max_response_bytes=config["DEEZER_MAX_RESPONSE_BYTES"])


def store_tracks(tracks: Iterable[TrackRecord]) -> PageCounts:
    """Upsert one page of tracks with their artists and albums, in the caller's transaction (no commit)."""
    tracks = _dedupe_tracks(tracks)
    if not tracks:
        return PageCounts()
    on_postgres = _dialect() == "postgresql"
    now = utcnow()
    artist_ids = _upsert_artists(_dedupe_artists(tracks), now)
    album_ids = _upsert_albums(_albums_with_artist(tracks), artist_ids, now)
    album_ids_by_artist = _unknown_albums({artist_ids[t.artist.deezer_id] for t in tracks if t.album is None}, now)
    rows = []
    for track in tracks:
        artist_id = artist_ids[track.artist.deezer_id]
        album_id = album_ids[track.album.deezer_id] if track.album else album_ids_by_artist[artist_id]
        rows.append(_song_row(track, album_id))
    counts = _upsert_songs(rows, now, on_postgres)
    bump_catalogue_version()  # last: its row stays locked until the caller commits
    return counts


def _dialect() -> str:
    name = db.session.get_bind().dialect.name
    if name not in ("postgresql", "sqlite"):
        raise RuntimeError(f"Deezer ingestion needs PostgreSQL or SQLite, not {name}")
    return name


def _merge(first, second):
    """Two records of one Deezer id from the same page: the later values win, except where they are unknown."""
    known = {name: value for name, value in vars(second).items() if value is not None}
    return replace(first, **known)


def _dedupe_tracks(tracks: Iterable[TrackRecord]) -> list[TrackRecord]:
    # PostgreSQL refuses to touch one row twice in a statement, so a page that repeats an id is merged first.
    by_id: dict[int, TrackRecord] = {}
    for track in tracks:
        seen = by_id.get(track.deezer_id)
        by_id[track.deezer_id] = track if seen is None else _merge(seen, track)
    return [by_id[key] for key in sorted(by_id)]


def _dedupe_artists(tracks: list[TrackRecord]) -> list[ArtistRecord]:
    by_id: dict[int, ArtistRecord] = {}
    for artist in _artists_of(tracks):
        seen = by_id.get(artist.deezer_id)
        by_id[artist.deezer_id] = artist if seen is None else _merge(seen, artist)
    return [by_id[key] for key in sorted(by_id)]


def _artists_of(tracks: list[TrackRecord]):
    # Album artists last: they come from the source's own artist or album page, so their values win the merge.
    yield from (track.artist for track in tracks)
    yield from (track.album.artist for track in tracks if track.album is not None and track.album.artist is not None)


def _albums_with_artist(tracks: list[TrackRecord]) -> list[tuple[AlbumRecord, int]]:
    # The album's own artist when the source knew it; otherwise (search and chart items name only the track's
    # artist) the first track's artist on the page stands for it.
    by_id: dict[int, tuple[AlbumRecord, int]] = {}
    for track in tracks:
        if track.album is None:
            continue
        album_artist = track.album.artist or track.artist
        seen = by_id.get(track.album.deezer_id)
        if seen is None:
            by_id[track.album.deezer_id] = (track.album, album_artist.deezer_id)
        else:
            by_id[track.album.deezer_id] = (_merge(seen[0], track.album), seen[1])
    return [by_id[key] for key in sorted(by_id)]


def _changed(table, excluded, columns, keep_known) -> object:
    """SET values for `columns` (COALESCE for `keep_known`), and the WHERE that skips rows they would not change."""
    values = {}
    for name in columns:
        new = getattr(excluded, name)
        values[name] = func.coalesce(new, table.c[name]) if name in keep_known else new
    differs = or_(*(values[name].is_distinct_from(table.c[name]) for name in columns))
    return values, differs


def _upsert(model, rows: list[dict], columns, keep_known, now, returning=()):
    """INSERT ... ON CONFLICT (deezer_id) DO UPDATE of `rows`, touching only rows whose values would change."""
    table = model.__table__
    names = list(rows[0])
    if _dialect() == "postgresql":
        # One short statement whatever the page size: each column travels as one array, unnested server-side.
        # Its text never changes, so it is compiled once and psycopg prepares it on the server.
        now_param = bindparam("now", type_=table.c.created_at.type)
        source = select(*(func.unnest(cast(bindparam(name), ARRAY(table.c[name].type))) for name in names),
                        now_param, now_param)
        stmt = postgresql.insert(table).from_select([*names, "created_at", "updated_at"], source)
        params = {name: [row[name] for row in rows] for name in names} | {"now": now}
    else:
        stmt = sqlite.insert(table)
        params = [{**row, "created_at": now, "updated_at": now} for row in rows]
    values, differs = _changed(table, stmt.excluded, columns, keep_known)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.deezer_id],
                                      set_={**values, "updated_at": stmt.excluded.updated_at}, where=differs)
    if returning:
        stmt = stmt.returning(*returning)
    return db.session.execute(stmt, params)


def _ids_of(model, deezer_ids) -> dict[int, int]:
    rows = db.session.execute(select(model.deezer_id, model.id).where(model.deezer_id.in_(deezer_ids)))
    return dict(rows.all())


def _upsert_artists(artists: list[ArtistRecord], now) -> dict[int, int]:
    # Records fit the columns already (app/services/deezer/records.py checks every field against them).
    rows = [{"deezer_id": a.deezer_id, "name": a.name, "picture_url": a.picture_url} for a in artists]
    _upsert(Artist, rows, ("name", "picture_url"), {"picture_url"}, now)
    # Unchanged rows are not RETURNed by a conditional DO UPDATE: one SELECT maps every id of the page.
    return _ids_of(Artist, [a.deezer_id for a in artists])


def _upsert_albums(albums: list[tuple[AlbumRecord, int]], artist_ids: dict[int, int], now) -> dict[int, int]:
    if not albums:
        return {}
    def rows(group):
        return [{"deezer_id": a.deezer_id, "title": a.title, "cover_url": a.cover_url,
                 "release_date": a.release_date, "artist_id": artist_ids[artist_deezer_id]}
                for a, artist_deezer_id in group]

    columns, keep_known = ("title", "cover_url", "release_date"), {"cover_url", "release_date"}
    # An album's own artist (known from an album or artist source) is authoritative and corrects a stand-in;
    # a stand-in (a track's artist, from search or chart items) only sets it when the album is first stored.
    own = [(a, artist) for a, artist in albums if a.artist is not None]
    stand_in = [(a, artist) for a, artist in albums if a.artist is None]
    if own:
        _upsert(Album, rows(own), (*columns, "artist_id"), keep_known, now)
    if stand_in:
        _upsert(Album, rows(stand_in), columns, keep_known, now)
    return _ids_of(Album, [a.deezer_id for a, _ in albums])


def _unknown_albums(artist_ids: set[int], now) -> dict[int, int]:
    """The "Unknown album" of each artist (made once), for songs whose item names no album."""
    if not artist_ids:
        return {}
    if _dialect() == "postgresql":
        # Without a Deezer id there is no unique key to upsert on: serialise the find-or-create instead.
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('listify:unknown-albums'))"))

    def existing():
        return dict(db.session.execute(
            select(Album.artist_id, func.min(Album.id))
            .where(Album.artist_id.in_(artist_ids), Album.deezer_id.is_(None), Album.title == UNKNOWN_ALBUM_TITLE)
            .group_by(Album.artist_id)
        ).all())

    found = existing()
    missing = sorted(artist_ids - found.keys())
    if missing:
        db.session.execute(Album.__table__.insert(), [
            {"artist_id": artist_id, "title": UNKNOWN_ALBUM_TITLE, "created_at": now, "updated_at": now}
            for artist_id in missing
        ])
        found = existing()
    return found


def _song_row(track: TrackRecord, album_id: int) -> dict:
    return {
        "deezer_id": track.deezer_id, "album_id": album_id, "title": track.title,
        "artist_name": track.artist.name, "duration_ms": track.duration_ms,
        "preview_url": track.preview_url, "isrc": track.isrc, "explicit": track.explicit,
        "track_position": track.track_position, "disk_number": track.disk_number,
    }


SONG_COLUMNS = ("album_id", "title", "artist_name", "duration_ms", "preview_url", "isrc", "explicit", "track_position",
                "disk_number")
SONG_KEEP_KNOWN = {"duration_ms", "preview_url", "isrc", "explicit", "track_position", "disk_number"}


def _upsert_songs(rows: list[dict], now, on_postgres: bool) -> PageCounts:
    if on_postgres:
        # xmax is 0 on a row this statement inserted; an updated row carries our transaction id.
        result = _upsert(Song, rows, SONG_COLUMNS, SONG_KEEP_KNOWN, now,
                         returning=(literal_column("xmax = 0").label("inserted"),))
        inserted = [row.inserted for row in result]
        return PageCounts(created=sum(inserted), updated=len(inserted) - sum(inserted))
    # SQLite has no xmax: the ids present before the upsert tell inserts from updates (SQLite serves development
    # and tests; concurrent writers there may miscount, never duplicate).
    page_ids = [row["deezer_id"] for row in rows]
    before = set(db.session.scalars(select(Song.deezer_id).where(Song.deezer_id.in_(page_ids))))
    result = _upsert(Song, rows, SONG_COLUMNS, SONG_KEEP_KNOWN, now, returning=(Song.__table__.c.deezer_id,))
    written = set(result.scalars())
    return PageCounts(created=len(written - before), updated=len(written & before))
