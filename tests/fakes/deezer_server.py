"""Deezer as the tests see it: recorded samples per source, generated items of the same shape, a limiter that
never waits, and a fake Deezer API over real HTTP on 127.0.0.1 for processes requests-mock cannot reach (a worker).

Routes are paths answered with recorded JSON responses, with a function of the query (for generated paging),
or with a Streamed answer (a hostile Deezer: a trickled, huge or lying body); anything else is Deezer's
"no data" error, as Deezer answers it (HTTP 200 with an error body).
"""
from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit

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


@dataclass
class Streamed:
    """A body written chunk by chunk, `interval` seconds apart, ending when the connection closes.

    `content_length` is sent as given (even when it is a lie); `headers` are sent as well. The fake counts the
    bodies it finished sending (`bodies_completed`): one the client gave up on is never finished.
    """

    chunks: Callable[[], Iterable[bytes]]
    interval: float = 0.0
    content_length: int | None = None
    headers: dict[str, str] | None = None


def trickled(body: dict, *, interval: float, pad_to: int = 0) -> Streamed:
    """`body` as JSON (padded with spaces to `pad_to` bytes), one byte per `interval` seconds."""
    data = json.dumps(body).encode().ljust(pad_to)
    return Streamed(lambda: (data[i:i + 1] for i in range(len(data))), interval=interval, content_length=len(data))


def endless_pages(path: str, item: Callable[[int], object], *, pages: int, page_size: int = 10,
                  ) -> Callable[[dict], dict]:
    """The route of `path`: `pages` pages (as good as endless) whose `next` points further on; `item(n)` is the
    n-th item."""

    def page(query: dict) -> dict:
        index = int(query.get("index", 0))
        body = {"data": [item(n) for n in range(index, index + page_size)], "total": pages * page_size}
        if index + page_size < pages * page_size:
            body["next"] = f"https://api.deezer.com{path}?index={index + page_size}&limit={page_size}"
        return body

    return page


Route = dict | Callable[[dict], dict] | Streamed


class FakeDeezer:
    """`with FakeDeezer({"/album/302127": recorded(...)}) as deezer:` serves at `deezer.url` until the block ends."""

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.requests: list[str] = []
        self.bodies_completed = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                fake.requests.append(self.path)
                parts = urlsplit(self.path)
                route = fake.routes.get(parts.path, NO_DATA)
                if callable(route):
                    route = route(dict(parse_qsl(parts.query)))
                if not isinstance(route, Streamed):
                    data = json.dumps(route).encode()
                    route = Streamed(lambda: [data], content_length=len(data))
                try:
                    self._stream(route)
                except OSError:  # the client gave up on the body (the point of most Streamed answers)
                    self.close_connection = True

            def _stream(self, answer: Streamed) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if answer.content_length is not None:
                    self.send_header("Content-Length", str(answer.content_length))
                for name, value in (answer.headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                for chunk in answer.chunks():
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if answer.interval:
                        time.sleep(answer.interval)
                fake.bodies_completed += 1

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A trickling answer may still be writing when the test ends; it stops on its own once the socket closes.
        self._server.daemon_threads = True
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
