"""Keyset pagination: one helper for every list endpoint.

A cursor is the sort key of the last row served, signed so clients cannot forge one
(a cursor the server did not issue is a 422, never a 500).
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Integer, Select, bindparam, tuple_

from app.errors import InvalidInput


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="listify-cursor")


def encode_cursor(values: Sequence[Any]) -> str:
    encoded = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return _serializer().dumps(encoded)


def decode_cursor(cursor: str, size: int) -> list:
    try:
        values = _serializer().loads(cursor)
    except BadSignature:
        raise InvalidInput("Invalid cursor.", field="cursor") from None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidInput("Invalid cursor.", field="cursor")
    try:
        return [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in values]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("Invalid cursor.", field="cursor") from None


def literal_limit(name: str = "page_limit", value: int | None = None):
    """A LIMIT written into the SQL when it is sent rather than bound: to PostgreSQL a bound LIMIT is unknown, so
    it plans the statement on every execution instead of reusing a generic plan (measured: 0.23 ms of a 0.3 ms
    songs page). One prepared statement per page size, and clients use few. Without `value`, the statement's
    execution supplies it under `name`."""
    return bindparam(name, value, type_=Integer, literal_execute=True)


def paginate(
    stmt: Select,
    *,
    key_columns: Sequence,
    key: Callable[[Any], Sequence[Any]],
    limit: int,
    cursor: str | None = None,
    descending: bool = True,
    page: int | None = None,
    per: int | None = None,
    execute: Callable[[Select], Sequence] | None = None,
) -> Page:
    """Run `stmt` for one page.

    key_columns: the columns of the sort key, most significant first (e.g. created_at, id);
    an index must cover them. key: extracts the same values from a result row.
    page/per: v1's legacy offset paging, used only when no cursor is given.
    execute: how to run the statement (default: scalars, i.e. ORM objects).
    """
    execute = execute or (lambda s: current_app.extensions["sqlalchemy"].session.scalars(s).all())
    order = [c.desc() for c in key_columns] if descending else [c.asc() for c in key_columns]
    stmt = stmt.order_by(*order)
    if cursor:
        after = decode_cursor(cursor, len(key_columns))
        row_key = tuple_(*key_columns)
        # Compared against a plain tuple, each value is bound with its column's type.
        stmt = stmt.where(row_key < tuple(after) if descending else row_key > tuple(after))
    elif page is not None:
        limit = per or limit
        stmt = stmt.offset((page - 1) * limit)
    return keyset_page(list(execute(stmt.limit(literal_limit(value=limit + 1)))), limit, key)


def keyset_page(rows: list, limit: int, key: Callable[[Any], Sequence[Any]]) -> Page:
    """A page from up to `limit + 1` rows in page order: the extra row only tells that there is more."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(key(rows[-1])) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)
