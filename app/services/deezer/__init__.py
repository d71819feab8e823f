"""Deezer API client: streams a source's tracks as typed records, within Deezer's quota.

Pure Python (no Flask, no database): the ingestion service turns TrackPages into rows.
"""
from .client import DeezerClient
from .errors import DeezerError, DeezerPermanentError, DeezerUnavailableError
from .ratelimit import LocalSlidingWindowLimiter, RedisSlidingWindowLimiter
from .records import AlbumRecord, ArtistRecord, TrackPage, TrackRecord
from .sources import DeezerSource

__all__ = [
    "AlbumRecord",
    "ArtistRecord",
    "DeezerClient",
    "DeezerError",
    "DeezerPermanentError",
    "DeezerSource",
    "DeezerUnavailableError",
    "LocalSlidingWindowLimiter",
    "RedisSlidingWindowLimiter",
    "TrackPage",
    "TrackRecord",
]
