"""Walking a source's Deezer pages in order, one page in memory at a time, up to a number of tracks."""
from __future__ import annotations

import logging
from functools import partial
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .errors import NO_DATA_CODE, DeezerPermanentError
from .records import (
    AlbumRecord,
    ArtistRecord,
    MalformedItemError,
    TrackPage,
    TrackRecord,
    parse_album,
    parse_artist,
    parse_track,
)
from .sources import DeezerSource

logger = logging.getLogger(__name__)

# Deezer serves up to 100 items per page when asked; fewer pages means fewer requests against the quota.
PAGE_SIZE = 100
# A source that keeps answering without a usable track (malformed items and a `next` that never ends, or an
# artist's albums that are all gone) is given up after this many requests in a row, whatever the limit.
MAX_FETCHES_WITHOUT_TRACK = 10

FetchJson = Callable[[str], Mapping[str, Any]]


class PinnedUrls:
    """Builds request URLs on the configured base, and keeps Deezer's `next` links on it.

    Only the path and query of a `next` link are used: a local fake Deezer works, and a `next` pointing at
    another host cannot send our requests (and their quota) anywhere else.
    """

    def __init__(self, base_url: str):
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"Deezer base URL must be an absolute http(s) URL, not {base_url!r}")
        self._scheme = base.scheme
        self._netloc = base.netloc
        self._prefix = base.path.rstrip("/")

    @property
    def scheme(self) -> str:
        return self._scheme

    def build(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        query = urlencode(params or {}, quote_via=quote)
        return urlunsplit((self._scheme, self._netloc, self._prefix + path, query, ""))

    def pin(self, next_url: str) -> str:
        link = urlsplit(next_url)
        path = link.path if link.path.startswith("/") else "/" + link.path
        if self._prefix and not path.startswith(self._prefix + "/"):
            path = self._prefix + path
        return urlunsplit((self._scheme, self._netloc, path, link.query, ""))

    def path_of(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path


class TrackPageWalker:
    """Yields a TrackPage for every list page of `source`, in the source's order, until `limit` tracks.

    Pages are fetched lazily: nothing is requested until the consumer asks for the next page, and nothing
    is kept from pages already yielded (apart from the `next` links seen, to stop on a loop).
    """

    def __init__(self, fetch_json: FetchJson, urls: PinnedUrls, source: DeezerSource, limit: int,
                 *, page_size: int = PAGE_SIZE, max_fetches_without_track: int = MAX_FETCHES_WITHOUT_TRACK):
        self._fetch_json = fetch_json
        self._urls = urls
        self._source = source
        self._remaining = limit
        self._page_size = page_size
        self._max_fetches_without_track = max_fetches_without_track
        self._fetches_without_track = 0
        # Links handed to clients: https, or whatever the configured base (a local stand-in) is served over.
        self._url_schemes = frozenset({"https", urls.scheme})
        self.pages_fetched = 0
        self.items_skipped = 0

    def __iter__(self) -> Iterator[TrackPage]:
        if self._remaining <= 0:
            return
        try:
            for tracks in self._track_batches():
                if tracks:
                    self._fetches_without_track = 0
                taken = tracks[: self._remaining]
                self._remaining -= len(taken)
                yield self._page(taken)
                if self._remaining == 0:
                    return
        except _CutShort as stop:
            logger.warning("Stopping the sync of %s: %s", self._source.describe(), stop)
            yield self._page([], cut_short=str(stop))

    def _page(self, tracks: list[TrackRecord], cut_short: str | None = None) -> TrackPage:
        return TrackPage(tracks=tracks, pages_fetched=self.pages_fetched, items_skipped=self.items_skipped,
                         cut_short=cut_short)

    def _track_batches(self) -> Iterator[list[TrackRecord]]:
        source = self._source
        if source.kind == "query":
            yield from self._tracks_of("/search", {"q": source.value})
        elif source.kind == "chart":
            yield from self._tracks_of("/chart/0/tracks")
        elif source.kind == "playlist":
            yield from self._tracks_of(f"/playlist/{source.value}/tracks")
        elif source.kind == "album":
            yield from self._album_tracks(source.value)
        elif source.kind == "artist":
            yield from self._artist_tracks(source.value)
        else:  # DeezerSource validates kinds; this guards a kind added there but not here.
            raise ValueError(f"no walk for Deezer source kind {source.kind!r}")

    def _album_tracks(self, album_id: int) -> Iterator[list[TrackRecord]]:
        # Album track lists carry neither the album nor the artist's picture: take them from the album once.
        album_body = self._fetch(self._urls.build(f"/album/{album_id}"))
        album = self._parse_metadata(parse_album, album_body)
        artist_item = album_body.get("artist")
        artist = self._parse_metadata(parse_artist, artist_item) if isinstance(artist_item, Mapping) else None
        yield from self._tracks_of(f"/album/{album_id}/tracks", album=album, artist=artist)

    def _artist_tracks(self, artist_id: int) -> Iterator[list[TrackRecord]]:
        # Top and album-track items carry a bare artist (no picture): fetch the artist once for all of them.
        artist = self._parse_metadata(parse_artist, self._fetch(self._urls.build(f"/artist/{artist_id}")))
        yield from self._tracks_of(f"/artist/{artist_id}/top", artist=artist)
        albums_url = self._urls.build(f"/artist/{artist_id}/albums", {"limit": self._page_size})
        for albums_page in self._pages(albums_url):
            yield []  # an albums page is a fetched page too; the consumer's page count moves on
            albums = self._parse_items(albums_page, "albums",
                                       partial(parse_album, artist=artist, url_schemes=self._url_schemes))
            for album in albums:
                yield from self._tracks_of_listed_album(album, artist)

    def _tracks_of_listed_album(self, album: AlbumRecord, artist: ArtistRecord) -> Iterator[list[TrackRecord]]:
        # The artist exists (we fetched it); one of its listed albums being gone is not a reason to fail
        # the whole artist, so "no data" here skips that album.
        try:
            yield from self._tracks_of(f"/album/{album.deezer_id}/tracks", album=album, artist=artist)
        except DeezerPermanentError as exc:
            if exc.code != NO_DATA_CODE:
                raise
            logger.warning("Skipping album %s of %s: Deezer has no data for it (%s)",
                           album.deezer_id, self._source.describe(), exc.deezer_message)

    def _tracks_of(self, path: str, params: Mapping[str, Any] | None = None, *,
                   album: AlbumRecord | None = None, artist: ArtistRecord | None = None,
                   ) -> Iterator[list[TrackRecord]]:
        # Ask for no more than we still need; `next` links then carry Deezer's own paging as given.
        first_url = self._urls.build(path, {**(params or {}), "limit": min(self._page_size, self._remaining)})
        parse = partial(parse_track, album=album, artist=artist, url_schemes=self._url_schemes)
        for body in self._pages(first_url):
            yield self._parse_items(body, "tracks", parse)

    def _parse_items(self, body: Mapping[str, Any], what: str, parse: Callable[[Mapping[str, Any]], Any]) -> list:
        """The page's items that parse; the others are counted in `items_skipped` and logged once per page."""
        parsed, skipped, first_problem = [], 0, None
        for item in _items(body):
            try:
                if not isinstance(item, Mapping):
                    raise MalformedItemError(f"item is not an object: {type(item).__name__}")
                parsed.append(parse(item))
            except MalformedItemError as exc:
                skipped += 1
                first_problem = first_problem or str(exc)
        if skipped:
            self.items_skipped += skipped
            logger.warning("Skipped %d malformed %s of %s on one page (the first: %s)",
                           skipped, what, self._source.describe(), first_problem)
        return parsed

    def _pages(self, first_url: str) -> Iterator[Mapping[str, Any]]:
        """Follow `next` from `first_url`; a short page is not the last one, only a missing `next` is."""
        url = first_url
        seen = {url}
        while True:
            body = self._fetch(url)
            yield body
            next_link = body.get("next")
            if not _items(body) or not isinstance(next_link, str) or not next_link:
                return
            try:
                url = self._urls.pin(next_link)
            except ValueError:  # not a URL at all (an unclosed IPv6 bracket, say): there is nowhere to go
                logger.warning("Deezer sent an unusable next link for %s; stopping there", self._source.describe())
                return
            if url in seen:
                logger.warning("Deezer repeated the page %s for %s; stopping there",
                               self._urls.path_of(url), self._source.describe())
                return
            seen.add(url)

    def _parse_metadata(self, parse, body):
        # Without the album or artist itself there is nothing to attach the tracks to.
        try:
            return parse(body, url_schemes=self._url_schemes)
        except MalformedItemError as exc:
            raise DeezerPermanentError(self._source, None, f"unexpected response: {exc}") from exc

    def _fetch(self, url: str) -> Mapping[str, Any]:
        # Counted before the request: an album that is gone (skipped on "no data") costs a request too.
        if self._fetches_without_track >= self._max_fetches_without_track:
            raise _CutShort(f"Deezer answered {self._fetches_without_track} requests in a row without a usable "
                            "track; stopped there")
        self._fetches_without_track += 1
        body = self._fetch_json(url)
        self.pages_fetched += 1
        return body


class _CutShort(Exception):
    """The walk gives up on a source that keeps answering without usable tracks."""


def _items(body: Mapping[str, Any]) -> list[Any]:
    data = body.get("data")
    return data if isinstance(data, list) else []
