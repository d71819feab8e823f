"""Rate-limit storage: Redis, with one round trip per limited request instead of three.

flask-limiter counts a request with `incr` and then, for the X-RateLimit-* headers, reads the same window back
with `get` and `get_expiry` (two more round trips). Here the increment's Lua script also returns the window's
TTL, and the two reads that follow in the same thread are answered from it. Counting stays in Redis, shared by
every worker. Selected by the `listify+redis://` scheme (see `storage_uri`).
"""
import threading
import time

from limits.storage import RedisStorage

SCHEME_PREFIX = "listify+"

INCR_EXPIRE_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""

# How long a counted window may answer the header reads; they come within the same request.
FRESH_SECONDS = 1.0


def storage_uri(redis_url: str | None) -> str:
    """RATELIMIT_STORAGE_URI for REDIS_URL: this storage on Redis, in memory without it."""
    if redis_url and redis_url.startswith(("redis://", "rediss://")):
        return SCHEME_PREFIX + redis_url
    return redis_url or "memory://"


class CountingRedisStorage(RedisStorage):
    STORAGE_SCHEME = ["listify+redis", "listify+rediss"]

    def __init__(self, uri: str, **options):
        self._counted = threading.local()
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        current, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        now = time.time()
        self._counted.window = (key, int(current), max(int(ttl), 0) + now, time.monotonic())
        return int(current)

    def _fresh(self, key: str):
        window = getattr(self._counted, "window", None)
        if window and window[0] == key and time.monotonic() - window[3] < FRESH_SECONDS:
            return window
        return None

    def get(self, key: str) -> int:
        window = self._fresh(key)
        return window[1] if window else super().get(key)

    def get_expiry(self, key: str) -> float:
        window = self._fresh(key)
        if window:
            self._counted.window = None  # read once: the next request asks Redis again
            return window[2]
        return super().get_expiry(key)
