"""Fixtures for the Deezer client tests: recorded responses, a recording limiter, generated pages, fake time.

Every request goes to 127.0.0.1 (nothing listens on port 9) and requests-mock answers it; an unregistered URL
raises instead of reaching any network.
"""
from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from app.services.deezer import DeezerClient

BASE_URL = "http://127.0.0.1:9"
FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "deezer"


class RecordingLimiter:
    """Grants at once and records what the client asked of it."""

    def __init__(self, events: list | None = None):
        self.acquired = 0
        self.pauses: list[float] = []
        self.events = events if events is not None else []

    def acquire(self) -> float:
        self.acquired += 1
        self.events.append("acquire")
        return 0.0

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.events.append(("pause", seconds))


class FakeClock:
    """A clock that only moves when someone sleeps on it; shared safely by threads."""

    def __init__(self, start: float = 1_000_000.0):
        self._now = start
        self._lock = threading.Lock()
        self.slept = 0.0

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "a limiter must never sleep for nothing"
        with self._lock:
            self._now += seconds
            self.slept += seconds


def load_recorded(name: str) -> dict:
    with open(FIXTURES_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def base_url() -> str:
    return BASE_URL


@pytest.fixture
def recorded():
    """`recorded("album_302127.json")` -> a fresh copy of that recorded Deezer response."""
    return load_recorded


@pytest.fixture
def limiter() -> RecordingLimiter:
    return RecordingLimiter()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def deezer(limiter, sleeps):
    """A DeezerClient on the fake base URL whose backoff sleeps are recorded, not slept, with jitter fixed at 0.5."""
    client = DeezerClient(BASE_URL, limiter, sleep=sleeps.append, random=lambda: 0.5)
    yield client
    client.close()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def generated_track_item():
    """`generated_track_item(n)` -> a search-shaped track item (copied from a recorded one) with id n."""
    template = load_recorded("search_billy_jean_limit2.json")["data"][0]

    def make(number: int) -> dict:
        item = copy.deepcopy(template)
        item["id"] = number
        item["title"] = f"Generated track {number}"
        item["link"] = f"https://www.deezer.com/track/{number}"
        return item

    return make


@pytest.fixture
def serve_generated_tracks(requests_mock, generated_track_item):
    """Serve `total` generated tracks at `path` with Deezer's paging (`index`, `limit`, `next`).

    Returns the list of (index, limit) of every page served, in order: a spy on what the client fetched.
    `next` links point at api.deezer.com, as Deezer's do.
    """

    def serve(path: str, total: int, *, first_id: int = 1, default_limit: int = 25) -> list[tuple[int, int]]:
        served: list[tuple[int, int]] = []

        def page(request, context):
            query = dict(parse_qsl(urlsplit(request.url).query))
            index = int(query.get("index", 0))
            limit = int(query.get("limit", default_limit))
            served.append((index, limit))
            end = min(index + limit, total)
            body = {"data": [generated_track_item(first_id + i) for i in range(index, end)], "total": total}
            if end < total:
                query.update(index=end, limit=limit)
                body["next"] = f"https://api.deezer.com{path}?{urlencode(query)}"
            return body

        requests_mock.get(BASE_URL + path, json=page)
        return served

    return serve


@pytest.fixture
def redis_client():
    """A client for the Redis in REDIS_URL; the test is skipped when REDIS_URL is unset."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(url)
    yield connection
    connection.close()


@pytest.fixture
def redis_key(redis_client):
    """A key prefix of its own for each test, deleted afterwards."""
    key = f"listify:test:deezer-quota:{uuid.uuid4().hex}"
    yield key
    redis_client.delete(f"{key}:grants", f"{key}:paused_until")
