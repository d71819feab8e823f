"""Paging for service tests, decoded by the lists' own argument schema (as a request's query string is)."""
from app.pagination import Keyset, Paging
from app.schemas.common import LegacyPageArgsSchema


def paging(keyset: Keyset, limit: int = 20, cursor: str | None = None, **legacy) -> Paging:
    query = {"limit": limit, **legacy}
    if cursor is not None:
        query["cursor"] = cursor
    return LegacyPageArgsSchema(keyset).load(query)


def walk(listing, keyset: Keyset, limit: int) -> list:
    """Every item of a list, page after page: `listing(paging)` answers one page."""
    items, cursor = [], None
    while True:
        page = listing(paging(keyset, limit, cursor))
        items += page.items
        if not page.next_cursor:
            return items
        cursor = page.next_cursor
