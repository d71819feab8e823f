"""What to sync from Deezer: one search, artist, album, playlist or the chart."""
from __future__ import annotations

from dataclasses import dataclass

SOURCE_KINDS = ("query", "artist", "album", "playlist", "chart")
_ID_KINDS = ("artist", "album", "playlist")


@dataclass(frozen=True)
class DeezerSource:
    kind: str
    value: str | int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown Deezer source kind {self.kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
        if self.kind == "query":
            if not isinstance(self.value, str) or not self.value.strip():
                raise ValueError("a query source needs a non-empty search string")
        elif self.kind in _ID_KINDS:
            # bool is an int subclass; True must not become artist 1.
            if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value <= 0:
                raise ValueError(f"a {self.kind} source needs a positive Deezer id, not {self.value!r}")
        elif self.value is not None:
            raise ValueError("the chart source takes no value")

    def describe(self) -> str:
        if self.kind == "query":
            return f'query "{self.value}"'
        if self.kind == "chart":
            return "chart"
        return f"{self.kind} {self.value}"
