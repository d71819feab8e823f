"""Errors raised by the Deezer client; every message names the source being synced."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sources import DeezerSource

# Deezer's "DataException: no data": the thing asked for does not exist (or is not available here).
NO_DATA_CODE = 800


class DeezerError(Exception):
    """Base class: a Deezer sync of `source` could not go on."""

    def __init__(self, source: DeezerSource, message: str):
        super().__init__(message)
        self.source = source


class DeezerPermanentError(DeezerError):
    """Deezer refused the request in a way that retrying cannot fix (code 800, other codes, HTTP 4xx)."""

    def __init__(self, source: DeezerSource, code: int | None, message: str, *, http_status: int | None = None):
        self.code = code
        self.deezer_message = message
        self.http_status = http_status
        if code is not None:
            detail = f"code {code}: {message}"
        elif http_status is not None:
            detail = f"HTTP {http_status}: {message}"
        else:
            detail = message
        outcome = "not found" if code == NO_DATA_CODE else "refused the request"
        super().__init__(source, f"Deezer: {source.describe()} {outcome} ({detail})")


class DeezerUnavailableError(DeezerError):
    """Deezer kept failing transiently (timeouts, 5xx, busy, quota) until the attempts ran out."""

    def __init__(self, source: DeezerSource, cause: str, *, attempts: int, path: str):
        self.cause = cause
        self.attempts = attempts
        super().__init__(
            source,
            f"Deezer unavailable for {source.describe()} after {attempts} attempts (GET {path}): {cause}",
        )
