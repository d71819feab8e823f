"""The application's one clock: every time the app stores, signs or compares comes from `timestamp()`.

`utcnow()` reads `timestamp()` through this module at each call, so whoever replaces `timestamp` (the
tests' `clock` fixture) moves every reading, however the caller imported `utcnow`.
"""
import time
from datetime import datetime, timezone


def timestamp() -> float:
    """Seconds since the epoch, as signatures and expiry times carry them."""
    return time.time()


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.fromtimestamp(timestamp(), timezone.utc)
