"""The rate-limit storage: one Redis round trip per counted request, the same counts and headers."""
import os

import pytest
from limits.storage import RedisStorage, storage_from_string

from app.ratelimit import CountingRedisStorage, storage_uri

REDIS_URL = os.environ.get("REDIS_URL") or None


@pytest.mark.parametrize("redis_url, expected", [
    ("redis://127.0.0.1:6379/3", "listify+redis://127.0.0.1:6379/3"),
    ("rediss://cache.example:6380/0", "listify+rediss://cache.example:6380/0"),
    ("redis+unix:///run/redis.sock", "redis+unix:///run/redis.sock"),
    (None, "memory://"),
])
def test_storage_uri_selects_the_counting_storage_for_redis_urls(redis_url, expected):
    assert storage_uri(redis_url) == expected


@pytest.fixture
def counting():
    storage = storage_from_string(storage_uri(REDIS_URL))
    yield storage
    storage.get_connection().close()


@pytest.mark.redis
def test_counting_storage_answers_reads_as_redis_does(app, counting):
    plain = RedisStorage(REDIS_URL)
    assert isinstance(counting, CountingRedisStorage)

    counting.incr("k", 60)
    counting.incr("k", 60)

    assert counting.get("k") == plain.get("k") == 2
    assert abs(counting.get_expiry("k") - plain.get_expiry("k")) <= 1
    assert counting.get("other") == plain.get("other") == 0
    plain.get_connection().close()


@pytest.mark.redis
def test_counting_storage_needs_one_round_trip_per_counted_request(app, counting, monkeypatch):
    # A Redis server that never ran the script answers NOSCRIPT once, and redis-py loads it (SCRIPT LOAD):
    # once per server, so a fresh server (or this test run first) must not count it.
    counting.incr("warm-up", 60)
    commands = []
    connection = counting.get_connection()
    original = connection.execute_command
    monkeypatch.setattr(connection, "execute_command", lambda *a, **k: commands.append(a[0]) or original(*a, **k))

    counting.incr("k", 60)
    counting.get("k")
    counting.get_expiry("k")

    assert commands == ["EVALSHA"]


@pytest.mark.redis
def test_limited_responses_count_down_remaining_requests(app, client, make_user, auth_headers):
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("listify+redis")
    headers = auth_headers(make_user())

    replies = [client.get("/api/v2/songs", headers=headers) for _ in range(3)]

    limit = int(replies[0].headers["X-RateLimit-Limit"])
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in replies] == [limit - 1, limit - 2, limit - 3]
    assert all(int(r.headers["X-RateLimit-Reset"]) > 0 for r in replies)
