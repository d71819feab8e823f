"""Lean dump paths for hot lists.

Where a profile shows per-row marshmallow dumping dominating, the route keeps its `@blp.response(...)` schema (so
/openapi.json is unchanged) and returns `page_response(page, dump_row)` (or `item_response(row, dump_row)`) instead: flask-smorest passes
a Response through untouched. Each `dump_row` lives next to its schema, builds the schema's output from a Core
row, and has a test that it equals the schema's dump for the same rows. Encoding is Flask's `jsonify` (the C
json encoder, sorted keys, compact), exactly what flask-smorest does with a schema's dump, so the bytes match.
"""
from typing import Callable

from flask import Response, jsonify

from app.pagination import Page, next_page_link


def page_response(page: Page, dump_row: Callable[[object], dict]) -> Response:
    response = jsonify({"items": [dump_row(row) for row in page.items], "next_cursor": page.next_cursor})
    if page.next_cursor:
        response.headers["Link"] = next_page_link(page.next_cursor)
    return response


def item_response(row, dump_row: Callable[[object], dict]) -> Response:
    return jsonify(dump_row(row))
