"""Deezer as the tests see it: recorded samples per source, generated items of the same shape, a limiter that
never waits, and a fake Deezer API over real HTTP on 127.0.0.1 for processes requests-mock cannot reach (a worker).

Routes are paths (the query string is ignored) answered with recorded JSON responses; anything else is
Deezer's "no data" error, as Deezer answers it (HTTP 200 with an error body).
"""
from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "deezer"

NO_DATA = {"error": {"type": "DataException", "message": "no data", "code": 800}}


def recorded(name: str) -> dict:
    with open(FIXTURES_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def sample_routes() -> dict[str, dict]:
    """Every source, from recorded responses cut to one page each (path -> body).

    query "lay low": 22 tracks; album 302127: 14; playlist 9200461: 25; chart: 10;
    artist 27: 5 top tracks, then album 302127 (its only listed album here): 14.
    """
    album = recorded("album_302127.json")
    top = recorded("artist_27_top.json")
    playlist = recorded("playlist_9200461_tracks_page1.json")
    del top["next"], playlist["next"]
    listed_album = {key: value for key, value in album.items() if key not in ("tracks", "contributors", "genres")}
    return {
        "/search": recorded("search_lou_doillon_lay_low_one_page.json"),
        "/album/302127": album,
        "/album/302127/tracks": recorded("album_302127_tracks.json"),
        "/playlist/9200461/tracks": playlist,
        "/chart/0/tracks": recorded("chart_0_tracks.json"),
        "/artist/27": recorded("artist_27.json"),
        "/artist/27/top": top,
        "/artist/27/albums": {"data": [listed_album], "total": 1},
    }


_SEARCH_ITEM = recorded("search_billy_jean_limit2.json")["data"][0]


def track_item(number: int, **changes) -> dict:
    """A search-shaped track item (copied from a recorded one) with Deezer id `number`, artist 259, album 423368."""
    item = copy.deepcopy(_SEARCH_ITEM)
    item.update(id=number, title=f"Generated track {number}", link=f"https://www.deezer.com/track/{number}")
    item.update(changes)
    return item


def generated_pages(total: int, *, page_size: int = 100, first_id: int = 1, artists: int = 50, albums: int = 500):
    """`total` search-shaped items on pages of `page_size`, spread over some artists and albums (as Deezer bodies)."""
    for start in range(0, total, page_size):
        items = []
        for n in range(first_id + start, first_id + min(start + page_size, total)):
            item = track_item(n, isrc=f"GBXXX{n:07d}"[:12])
            item["artist"] = {**item["artist"], "id": 1_000_000 + n % artists, "name": f"Artist {n % artists}"}
            item["album"] = {**item["album"], "id": 2_000_000 + n % albums, "title": f"Album {n % albums}"}
            items.append(item)
        yield {"data": items, "total": total}


class NoWaitLimiter:
    """Grants every request at once and remembers the pauses Deezer asked for."""

    def __init__(self):
        self.acquired = 0
        self.pauses: list[float] = []

    def acquire(self) -> float:
        self.acquired += 1
        return 0.0

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


class FakeDeezer:
    """`with FakeDeezer({"/album/302127": recorded(...)}) as deezer:` serves at `deezer.url` until the block ends."""

    def __init__(self, routes: dict[str, dict]):
        self.routes = routes
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                fake.requests.append(self.path)
                body = json.dumps(fake.routes.get(urlsplit(self.path).path, NO_DATA)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeDeezer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
