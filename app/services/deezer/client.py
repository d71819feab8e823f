"""HTTP access to the Deezer API: one pooled session, a shared rate limiter, and a bounded retry loop."""
from __future__ import annotations

import datetime
import email.utils
import logging
import math
import random as random_module
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator, Mapping

import requests
from requests.adapters import HTTPAdapter

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
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
    ):
        if not 0 < connect_timeout <= MAX_CONNECT_TIMEOUT or not 0 < read_timeout <= MAX_READ_TIMEOUT:
            raise ValueError(f"Deezer timeouts must be within {MAX_CONNECT_TIMEOUT:g} s (connect) "
                             f"and {MAX_READ_TIMEOUT:g} s (read)")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._urls = PinnedUrls(base_url)
        self._limiter = limiter
        self._owns_session = session is None
        self._session = session if session is not None else _pooled_session()
        self._timeout = (connect_timeout, read_timeout)
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._random = random

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
        try:
            response = self._session.get(url, timeout=self._timeout)
        except requests.Timeout as exc:  # before ConnectionError: ConnectTimeout is both
            return _Outcome(retry_cause=f"timed out ({exc})")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            return _Outcome(retry_cause=f"connection failed ({exc})")
        return _classify(source, response)

    def _backoff_seconds(self, attempt: int) -> float:
        # Exponential, capped; half of it random so workers that failed together do not retry together.
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._random())


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


def _classify(source: DeezerSource, response: requests.Response) -> _Outcome:
    body = _json_or_none(response)
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


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # requests' JSONDecodeError, also for an empty or truncated body
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
    return (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
