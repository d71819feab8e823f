"""Typed records of Deezer tracks, artists and albums, parsed from Deezer's JSON items.

A field is None when the item does not carry it (search items have no `isrc` nor album `release_date`):
None means "unknown", so whoever stores these must never overwrite a known value with None.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

# 500x500 is sharp enough for any list or detail view and is present on every item that has images.
PICTURE_SIZE_KEY = "picture_big"
COVER_SIZE_KEY = "cover_big"


class MalformedItemError(ValueError):
    """A Deezer item lacks what every record needs (an id, a title or name)."""


@dataclass(frozen=True)
class ArtistRecord:
    deezer_id: int
    name: str
    picture_url: str | None


@dataclass(frozen=True)
class AlbumRecord:
    deezer_id: int
    title: str
    cover_url: str | None
    release_date: datetime.date | None
    # The album's own artist when the context knows it (an album's page, an artist's album list); track
    # items only carry the track's artist, which differs on compilations.
    artist: ArtistRecord | None = None


@dataclass(frozen=True)
class TrackRecord:
    deezer_id: int
    title: str
    duration_ms: int | None
    preview_url: str | None
    isrc: str | None
    explicit: bool | None
    artist: ArtistRecord
    album: AlbumRecord | None
    track_position: int | None
    disk_number: int | None = None


@dataclass(frozen=True)
class TrackPage:
    """The tracks read from one Deezer page; `pages_fetched` counts every page fetched so far in this run."""

    tracks: list[TrackRecord]
    pages_fetched: int


def parse_artist(item: Mapping[str, Any]) -> ArtistRecord:
    return ArtistRecord(
        deezer_id=_required_id(item),
        name=_required_text(item, "name"),
        picture_url=_image_url(item.get(PICTURE_SIZE_KEY)),
    )


def parse_album(item: Mapping[str, Any], *, artist: ArtistRecord | None = None) -> AlbumRecord:
    """Parse an album item; its artist is the item's own (an album's page has one) or `artist`, the one the
    context fetched, which is preferred when both are the same artist."""
    own_artist = parse_artist(item["artist"]) if isinstance(item.get("artist"), Mapping) else None
    if own_artist is None or (artist is not None and artist.deezer_id == own_artist.deezer_id):
        own_artist = artist
    return AlbumRecord(
        deezer_id=_required_id(item),
        title=_required_text(item, "title"),
        cover_url=_image_url(item.get(COVER_SIZE_KEY)),
        release_date=_release_date(item.get("release_date")),
        artist=own_artist,
    )


def parse_track(
    item: Mapping[str, Any],
    *,
    album: AlbumRecord | None = None,
    artist: ArtistRecord | None = None,
) -> TrackRecord:
    """Parse one track item; `album` and `artist` are what the page's context knows.

    Album track lists carry no album and only a bare artist, so the album (and the album's artist, with its
    picture) come from the context. The item's own artist wins when it differs (compilations).
    """
    duration = _optional_int(item.get("duration"))
    explicit = item.get("explicit_lyrics")
    return TrackRecord(
        deezer_id=_required_id(item),
        title=_required_text(item, "title"),
        duration_ms=duration * 1000 if duration is not None else None,
        preview_url=_optional_text(item.get("preview")),
        isrc=_optional_text(item.get("isrc")),
        explicit=explicit if isinstance(explicit, bool) else None,
        artist=_track_artist(item.get("artist"), artist),
        album=parse_album(item["album"]) if isinstance(item.get("album"), Mapping) else album,
        track_position=_optional_int(item.get("track_position")),
        disk_number=_optional_int(item.get("disk_number")),
    )


def _track_artist(raw: Any, known: ArtistRecord | None) -> ArtistRecord:
    if not isinstance(raw, Mapping):
        if known is None:
            raise MalformedItemError("track has no artist")
        return known
    parsed = parse_artist(raw)
    if known is None or known.deezer_id != parsed.deezer_id:
        return parsed
    return ArtistRecord(
        deezer_id=parsed.deezer_id,
        name=parsed.name,
        picture_url=parsed.picture_url or known.picture_url,
    )


def _required_id(item: Mapping[str, Any]) -> int:
    deezer_id = _optional_int(item.get("id"))
    if deezer_id is None or deezer_id <= 0:
        raise MalformedItemError(f"item has no usable id: {item.get('id')!r}")
    return deezer_id


def _required_text(item: Mapping[str, Any], key: str) -> str:
    text = _optional_text(item.get(key))
    if text is None:
        raise MalformedItemError(f"item {item.get('id')!r} has no {key}")
    return text


def _optional_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _optional_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _image_url(value: Any) -> str | None:
    url = _optional_text(value)
    # Deezer marks a missing image with an empty hash, e.g. ".../images/artist//500x500-000000-80-0-0.jpg":
    # that is a grey placeholder, not a picture of anyone.
    if url is None or "//" in urlsplit(url).path:
        return None
    return url


def _release_date(value: Any) -> datetime.date | None:
    # "0000-00-00" is Deezer's "unknown"; any other unparsable value is unknown too.
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None
