"""Typed records of Deezer tracks, artists and albums, parsed from Deezer's JSON items.

A field is None when the item does not carry it (search items have no `isrc` nor album `release_date`):
None means "unknown", so whoever stores these must never overwrite a known value with None.

Items are checked field by field, because a Deezer response is input like any other. An item is malformed
(MalformedItemError: the walker skips and counts it) when an id is not an ASCII decimal in 1..2^63-1, a title or
name is blank, longer than its column or not storable text (NUL, a lone surrogate), or a number it carries is out
of its range (a duration over a day, a position beyond 32 bits): only a broken or hostile source sends those, and
the rest of such an item is not worth trusting. Values Deezer itself uses for "unknown" (an empty preview, a
placeholder picture, `0000-00-00`) and URLs we would not hand to clients (not https, or too long) become None.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

# 500x500 is sharp enough for any list or detail view and is present on every item that has images.
PICTURE_SIZE_KEY = "picture_big"
COVER_SIZE_KEY = "cover_big"

MAX_DEEZER_ID = 2**63 - 1  # the catalogue's deezer_id columns are BIGINT
# The catalogue's column sizes (app/models/catalogue.py): a value that does not fit is never stored cut.
TEXT_MAX = 300
URL_MAX = 500
ISRC_MAX = 12
# Deezer durations are seconds; a day is beyond any track, and its milliseconds fit the 32-bit column.
MAX_DURATION_SECONDS = 24 * 3600
MAX_POSITION = 2**31 - 1  # track_position and disk_number are 32-bit columns
# Preview, cover and picture URLs go to clients as links: https only, unless the caller allows more (the
# scheme of a configured Deezer stand-in served over http).
DEFAULT_URL_SCHEMES = frozenset({"https"})


class MalformedItemError(ValueError):
    """A Deezer item lacks what every record needs (an id, a title or name), or carries a value out of range."""


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
    """The tracks read from one Deezer page; `pages_fetched` counts every page fetched so far in this run, and
    `items_skipped` every malformed item skipped so far. On the last page of a walk that stopped before the
    source said it was done (it kept sending pages without a usable track), `cut_short` says so."""

    tracks: list[TrackRecord]
    pages_fetched: int
    items_skipped: int = 0
    cut_short: str | None = None


def parse_artist(item: Mapping[str, Any], *, url_schemes: frozenset[str] = DEFAULT_URL_SCHEMES) -> ArtistRecord:
    return ArtistRecord(
        deezer_id=_required_id(item),
        name=_required_text(item, "name"),
        picture_url=_image_url(item.get(PICTURE_SIZE_KEY), url_schemes),
    )


def parse_album(item: Mapping[str, Any], *, artist: ArtistRecord | None = None,
                url_schemes: frozenset[str] = DEFAULT_URL_SCHEMES) -> AlbumRecord:
    """Parse an album item; its artist is the item's own (an album's page has one) or `artist`, the one the
    context fetched, which is preferred when both are the same artist."""
    raw_artist = item.get("artist")
    own_artist = parse_artist(raw_artist, url_schemes=url_schemes) if isinstance(raw_artist, Mapping) else None
    if own_artist is None or (artist is not None and artist.deezer_id == own_artist.deezer_id):
        own_artist = artist
    return AlbumRecord(
        deezer_id=_required_id(item),
        title=_required_text(item, "title"),
        cover_url=_image_url(item.get(COVER_SIZE_KEY), url_schemes),
        release_date=_release_date(item.get("release_date")),
        artist=own_artist,
    )


def parse_track(
    item: Mapping[str, Any],
    *,
    album: AlbumRecord | None = None,
    artist: ArtistRecord | None = None,
    url_schemes: frozenset[str] = DEFAULT_URL_SCHEMES,
) -> TrackRecord:
    """Parse one track item; `album` and `artist` are what the page's context knows.

    Album track lists carry no album and only a bare artist, so the album (and the album's artist, with its
    picture) come from the context. The item's own artist wins when it differs (compilations).
    """
    deezer_id = _required_id(item)
    duration = _bounded_int(item, "duration", MAX_DURATION_SECONDS)
    explicit = item.get("explicit_lyrics")
    raw_album = item.get("album")
    return TrackRecord(
        deezer_id=deezer_id,
        title=_required_text(item, "title"),
        duration_ms=duration * 1000 if duration is not None else None,
        preview_url=_url(item.get("preview"), url_schemes),
        isrc=_optional_text(item.get("isrc"), ISRC_MAX),
        explicit=explicit if isinstance(explicit, bool) else None,
        artist=_track_artist(item.get("artist"), artist, url_schemes),
        album=parse_album(raw_album, url_schemes=url_schemes) if isinstance(raw_album, Mapping) else album,
        track_position=_bounded_int(item, "track_position", MAX_POSITION),
        disk_number=_bounded_int(item, "disk_number", MAX_POSITION),
    )


def _track_artist(raw: Any, known: ArtistRecord | None, url_schemes: frozenset[str]) -> ArtistRecord:
    if not isinstance(raw, Mapping):
        if known is None:
            raise MalformedItemError("track has no artist")
        return known
    parsed = parse_artist(raw, url_schemes=url_schemes)
    if known is None or known.deezer_id != parsed.deezer_id:
        return parsed
    return ArtistRecord(
        deezer_id=parsed.deezer_id,
        name=parsed.name,
        picture_url=parsed.picture_url or known.picture_url,
    )


def _required_id(item: Mapping[str, Any]) -> int:
    raw = item.get("id")
    deezer_id = _integer(raw)
    if deezer_id is None or not 1 <= deezer_id <= MAX_DEEZER_ID:
        raise MalformedItemError(f"item has no usable id: {_shown(raw)}")
    return deezer_id


def _required_text(item: Mapping[str, Any], key: str) -> str:
    text = _optional_text(item.get(key), TEXT_MAX)
    if text is None:
        raise MalformedItemError(f"item {_shown(item.get('id'))} has no usable {key}: {_shown(item.get(key))}")
    return text


def _bounded_int(item: Mapping[str, Any], key: str, maximum: int) -> int | None:
    """A count Deezer may leave out (None), within 0..maximum when present."""
    raw = item.get(key)
    if raw is None:
        return None
    number = _integer(raw)
    if number is None or not 0 <= number <= maximum:
        raise MalformedItemError(f"item {_shown(item.get('id'))} has an unusable {key}: {_shown(raw)}")
    return number


def _integer(value: Any) -> int | None:
    # Only ASCII digits: str.isdigit() also accepts "²", which int() refuses. 19 digits cover every 64-bit id
    # and keep int() away from the huge literals it refuses too.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None


def _optional_text(value: Any, max_length: int) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which a JSON "\ud800" escape can carry: not storable text
        return None
    return value


def _url(value: Any, schemes: frozenset[str]) -> str | None:
    url = _optional_text(value, URL_MAX)
    # No whitespace or control characters: browsers drop some of them, which can turn a link into another one.
    if url is None or not url.isprintable() or any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        return None
    return url


def _image_url(value: Any, schemes: frozenset[str]) -> str | None:
    url = _url(value, schemes)
    # Deezer marks a missing image with an empty hash, e.g. ".../images/artist//500x500-000000-80-0-0.jpg":
    # that is a grey placeholder, not a picture of anyone.
    if url is None or "//" in urlsplit(url).path:
        return None
    return url


def _release_date(value: Any) -> datetime.date | None:
    # "0000-00-00" is Deezer's "unknown"; any other unparsable value is unknown too.
    if not isinstance(value, str) or len(value) > 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    """A value for a log line or an error message: repr (control characters escaped), and short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
