"""Sliding-window limiters that keep Deezer requests under its quota (50 per 5 s per IP).

Both default to 45 per 5 s: the margin absorbs clock skew between hosts and requests that other tools on
the same IP make. `pause()` is how a quota signal from Deezer reaches every caller.
"""
from __future__ import annotations

import collections
import logging
import math
import threading
import time
import uuid
from typing import Callable, Protocol

logger = logging.getLogger(__name__)

# Never spin on a wait that rounds to nothing (float sums, a fake clock in tests).
_MIN_WAIT_SECONDS = 0.001


class RequestLimiter(Protocol):
    def acquire(self) -> float: ...

    def pause(self, seconds: float) -> None: ...


def _check_window(max_requests: int, window_seconds: float) -> None:
    if max_requests < 1 or window_seconds <= 0:
        raise ValueError("a limiter needs max_requests >= 1 and window_seconds > 0")


class LocalSlidingWindowLimiter:
    """At most `max_requests` acquisitions in any `window_seconds`, within one process (thread-safe).

    A slot is granted at time t only if fewer than `max_requests` grants lie in [t - window, t]: that bounds
    every window of that length, boundaries included, not just aligned buckets.
    """

    def __init__(
        self,
        max_requests: int = 45,
        window_seconds: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        _check_window(max_requests, window_seconds)
        self._max_requests = max_requests
        self._window = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._grants: collections.deque[float] = collections.deque()
        self._paused_until = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; return the clock time it was granted at."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._try_grant(now)
            if wait is None:
                return now
            # Sleep outside the lock so other threads can pause() or see their own wait.
            self._sleep(max(wait, _MIN_WAIT_SECONDS))

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
        logger.info("Deezer requests paused for %.1f s", seconds)

    def _try_grant(self, now: float) -> float | None:
        """Record a grant and return None, or return how long to wait before trying again."""
        if now < self._paused_until:
            return self._paused_until - now
        while self._grants and self._grants[0] < now - self._window:
            self._grants.popleft()
        if len(self._grants) < self._max_requests:
            self._grants.append(now)
            return None
        return self._grants[0] + self._window - now


# One atomic step for every worker on every host: honour the pause, drop grants older than the window,
# then either record a grant or say how long until the oldest one leaves the window.
# A grant is never stamped before the latest one: a caller whose clock reads a little behind (skew, or a
# delay between reading the clock and this script running) must not slip in under an emptied window.
# Floats travel as %.17g strings: Redis truncates Lua numbers to integers in replies.
_ACQUIRE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max_requests = tonumber(ARGV[3])
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '-1')
if paused_until > now then
  return {0, string.format('%.17g', paused_until - now)}
end
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if latest[2] and tonumber(latest[2]) > now then
  now = tonumber(latest[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.17g', now - window))
if redis.call('ZCARD', KEYS[1]) < max_requests then
  redis.call('ZADD', KEYS[1], string.format('%.17g', now), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, string.format('%.17g', now)}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, string.format('%.17g', tonumber(oldest[2]) + window - now)}
"""

# Only ever lengthens the pause, so a short Retry-After seen by one worker cannot cut a longer one short.
_PAUSE_SCRIPT = """
local paused_until = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if paused_until > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


class RedisSlidingWindowLimiter:
    """The same sliding window, shared through Redis by every worker process on every host.

    Keys: `<key>:grants` (sorted set of grant times) and `<key>:paused_until`; both expire on their own once
    idle. Timestamps come from the callers' clocks, so hosts must keep their clocks in sync (NTP); the
    45-of-50 default leaves room for small skew.
    """

    def __init__(
        self,
        redis_client,
        *,
        key: str = "listify:deezer:quota",
        max_requests: int = 45,
        window_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        _check_window(max_requests, window_seconds)
        self._grants_key = f"{key}:grants"
        self._pause_key = f"{key}:paused_until"
        self._max_requests = max_requests
        self._window = window_seconds
        self._clock = clock
        self._sleep = sleep
        # Idle keys outlive the window by a second, then Redis drops them.
        self._grants_ttl_ms = math.ceil(window_seconds * 1000) + 1000
        self._acquire_script = redis_client.register_script(_ACQUIRE_SCRIPT)
        self._pause_script = redis_client.register_script(_PAUSE_SCRIPT)

    def acquire(self) -> float:
        """Block until a request may be sent; return the time the grant was recorded at."""
        while True:
            now = self._clock()
            granted, seconds = self._acquire_script(
                keys=[self._grants_key, self._pause_key],
                args=[repr(now), repr(self._window), self._max_requests, uuid.uuid4().hex, self._grants_ttl_ms],
            )
            if int(granted):
                return float(seconds)
            self._sleep(max(float(seconds), _MIN_WAIT_SECONDS))

    def pause(self, seconds: float) -> None:
        paused_until = self._clock() + seconds
        ttl_ms = math.ceil(seconds * 1000) + 1000
        self._pause_script(keys=[self._pause_key], args=[repr(paused_until), ttl_ms])
        logger.info("Deezer requests paused for %.1f s (shared)", seconds)
