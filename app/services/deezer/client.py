"""HTTP access to the Deezer API: one pooled session, a shared rate limiter, and a bounded retry loop."""
from __future__ import annotations

import datetime
import email.utils
import json
import logging
import math
import random as random_module
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator, Mapping

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from app import clock

from .errors import DeezerPermanentError, DeezerUnavailableError
from .metrics import DEEZER_QUOTA_PAUSES, DEEZER_REQUESTS
from .paging import PinnedUrls, TrackPageWalker
from .ratelimit import RequestLimiter
from .records import TrackPage
from .sources import DeezerSource

logger = logging.getLogger(__name__)

QUOTA_EXCEEDED_CODE = 4
SERVICE_BUSY_CODE = 700
# After a quota signal nobody asks again for at least this long, even when Deezer gives no Retry-After.
MIN_QUOTA_PAUSE_SECONDS = 5.0
# A Retry-After beyond this is treated as a mistake rather than left to stall the sync for hours.
MAX_RETRY_AFTER_SECONDS = 600.0
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
MAX_CONNECT_TIMEOUT = 10.0
MAX_READ_TIMEOUT = 30.0
# Per attempt, whatever the server does: the read timeout alone is per read, so a body trickled a byte at a time
# would hold an attempt for as long as the server likes, and an endless one would fill the memory.
ATTEMPT_DEADLINE_SECONDS = 60.0
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
# A Deezer page of 100 tracks is about 100 KB: reads this size keep the Python loop short.
READ_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Outcome:
    """What one HTTP attempt came to: a body, a reason to retry, or a permanent refusal."""

    body: Mapping[str, Any] | None = None
    retry_cause: str | None = None
    quota_pause: float | None = None
    permanent: DeezerPermanentError | None = None

    @property
    def label(self) -> str:
        """The outcome as a metrics label."""
        if self.body is not None:
            return "ok"
        if self.permanent is not None:
            return "permanent"
        return "quota" if self.quota_pause is not None else "retryable"


class DeezerClient:
    def __init__(
        self,
        base_url: str,
        limiter: RequestLimiter,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 30,
        attempt_deadline: float = ATTEMPT_DEADLINE_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if not 0 < connect_timeout <= MAX_CONNECT_TIMEOUT or not 0 < read_timeout <= MAX_READ_TIMEOUT:
            raise ValueError(f"Deezer timeouts must be within {MAX_CONNECT_TIMEOUT:g} s (connect) "
                             f"and {MAX_READ_TIMEOUT:g} s (read)")
        if not attempt_deadline > 0 or max_response_bytes < 1:
            raise ValueError("attempt_deadline and max_response_bytes must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._urls = PinnedUrls(base_url)
        self._limiter = limiter
        self._owns_session = session is None
        self._session = session if session is not None else _pooled_session()
        self._timeout = (connect_timeout, read_timeout)
        self._attempt_deadline = attempt_deadline
        self._max_response_bytes = max_response_bytes
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._random = random
        self._monotonic = monotonic

    def iter_track_pages(self, source: DeezerSource, limit: int) -> Iterator[TrackPage]:
        """Stream `source`'s first `limit` tracks page by page, in the source's order.

        Raises DeezerPermanentError (at once) or DeezerUnavailableError (once retries run out) while iterating.
        """
        if limit < 0:
            raise ValueError("limit must not be negative")
        fetch_json = partial(self._fetch_json, source)
        return iter(TrackPageWalker(fetch_json, self._urls, source, limit))

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DeezerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _fetch_json(self, source: DeezerSource, url: str) -> Mapping[str, Any]:
        last_cause = ""
        for attempt in range(1, self._max_attempts + 1):
            self._limiter.acquire()
            outcome = self._attempt(source, url)
            DEEZER_REQUESTS.labels(outcome.label).inc()
            if outcome.body is not None:
                return outcome.body
            if outcome.permanent is not None:
                raise outcome.permanent
            last_cause = outcome.retry_cause or "unknown failure"
            if outcome.quota_pause is not None:
                DEEZER_QUOTA_PAUSES.inc()
                self._limiter.pause(outcome.quota_pause)
            if attempt < self._max_attempts:
                delay = self._backoff_seconds(attempt)
                logger.warning("Deezer %s for %s (attempt %d of %d); retrying in %.1f s",
                               last_cause, source.describe(), attempt, self._max_attempts, delay)
                self._sleep(delay)
        raise DeezerUnavailableError(source, last_cause, attempts=self._max_attempts, path=self._urls.path_of(url))

    def _attempt(self, source: DeezerSource, url: str) -> _Outcome:
        started = self._monotonic()
        try:
            with self._session.get(url, timeout=self._timeout, stream=True) as response:
                body = self._read_body(response, started)
        except _BodyRefused as exc:
            return _Outcome(retry_cause=str(exc))
        # Before ConnectionError: ConnectTimeout is both. Reads of the raw body raise urllib3's own errors.
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            return _Outcome(retry_cause=f"timed out ({exc})")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError, urllib3.exceptions.HTTPError) as exc:
            return _Outcome(retry_cause=f"connection failed ({exc})")
        return _classify(source, response, body)

    def _read_body(self, response: requests.Response, started: float) -> bytes:
        """The body, read as it arrives and given up past the attempt's deadline or byte cap.

        `read1` returns whatever one read of the socket brings (requests' `iter_content` waits for whole
        chunks), so a trickled body meets the deadline within one read timeout; decoded bytes are what is
        counted, so a compressed body cannot expand past the cap either.
        """
        cap = self._max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise _BodyRefused(f"announced a body of {declared} bytes, over the {cap}-byte cap")
        body = bytearray()
        while True:
            if self._monotonic() - started > self._attempt_deadline:
                raise _BodyRefused(f"took longer than the {self._attempt_deadline:g} s an attempt may take")
            chunk = response.raw.read1(READ_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > cap:
                raise _BodyRefused(f"sent a body over the {cap}-byte cap")

    def _backoff_seconds(self, attempt: int) -> float:
        # Exponential, capped; half of it random so workers that failed together do not retry together.
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._random())


class _BodyRefused(Exception):
    """The response body broke the attempt's deadline or byte cap; the message says which."""


def _pooled_session() -> requests.Session:
    session = requests.Session()
    # No urllib3 Retry here on purpose: retries live in DeezerClient._fetch_json, because Deezer reports its
    # quota and "busy" inside HTTP 200 bodies (invisible to urllib3), every attempt must pass the shared
    # limiter first, and the backoff sleep must be injectable so tests never really sleep.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["Accept"] = "application/json"
    return session


def _classify(source: DeezerSource, response: requests.Response, raw_body: bytes) -> _Outcome:
    body = _json_or_none(raw_body)
    # Deezer sends its errors, the quota included, with HTTP 200: look at the body before the status.
    error = body.get("error") if isinstance(body, dict) else None
    if error:
        code, message = _error_fields(error)
        if code == QUOTA_EXCEEDED_CODE:
            return _Outcome(retry_cause=f"quota exceeded (code {code}: {message})",
                            quota_pause=_quota_pause(response))
        if code == SERVICE_BUSY_CODE:
            return _Outcome(retry_cause=f"busy (code {code}: {message})")
        return _Outcome(permanent=DeezerPermanentError(source, code, message))

    status = response.status_code
    if status == 429:
        return _Outcome(retry_cause="HTTP 429 Too Many Requests", quota_pause=_quota_pause(response))
    if status >= 500:
        return _Outcome(retry_cause=f"HTTP {status} {response.reason or ''}".rstrip())
    if status >= 400:
        return _Outcome(permanent=DeezerPermanentError(source, None, response.reason or "client error",
                                                       http_status=status))
    if body is None:
        return _Outcome(retry_cause=f"sent a non-JSON response (HTTP {status})")
    if not isinstance(body, dict):
        return _Outcome(retry_cause=f"sent JSON that is not an object (HTTP {status})")
    return _Outcome(body=body)


def _json_or_none(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError):  # also an empty or truncated body, or nesting deeper than Python's stack
        return None


def _error_fields(error: Any) -> tuple[int | None, str]:
    if not isinstance(error, Mapping):
        return None, str(error)
    code = error.get("code")
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        code = None
    message = error.get("message") or error.get("type") or "unknown error"
    return code, str(message)


def _quota_pause(response: requests.Response) -> float:
    return max(_retry_after_seconds(response) or 0.0, MIN_QUOTA_PAUSE_SECONDS)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until_http_date(value)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _seconds_until_http_date(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return (when - clock.utcnow()).total_seconds()
