"""Hostile but parseable input at the request edge: each payload is a 4xx in the error shape, with a body of a few
KB at most, and never an error logged (no traceback).

Payloads fixed elsewhere are tested where their fix lives: a NUL character (tests/api/test_errors.py), a cursor
of one list replayed on another (tests/api/test_paging.py), decompression-bomb pictures (tests/services/test_images.py,
tests/api/v1/test_profile_pictures.py), hostile Deezer answers (tests/services/deezer/test_deezer_hostile.py), tokens
without `exp` or `jti`, `sub="abc"` and a lower-case `bearer` (tests/test_access_tokens.py, tests/api/v1/test_auth.py),
the reset-mail and export quotas (tests/api/v1/test_password_reset.py, tests/api/v1/test_exports.py). Headers and log
lines: tests/api/test_errors.py, tests/deploy/test_access_log.py; large generated bodies:
tests/fuzz/test_hostile_fuzz.py. Timings of every payload here against a valid request of the same route:
bench/hostile_bench.py (figures in docs/performance.md).
"""
import itertools
import json
import logging
import string

import pytest

from app.queue import redis_connection
from tests.conftest import error_codes

MAX_ERROR_BODY = 4096

PUBLIC_BODIES = [
    ("post", "/api/v1/auth"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/password"),
    ("put", "/api/v1/auth/password"),
    ("post", "/api/v2/refresh_tokens"),
]
AUTHENTICATED_BODIES = [
    ("patch", "/api/v1/auth/password"),
    ("patch", "/api/v1/users/me"),
    ("post", "/api/v1/reviews"),
    ("post", "/api/v1/collections"),
]


def nested(levels, inner=b"1"):
    """`levels` arrays, one inside the other, around `inner`."""
    return b"[" * levels + inner + b"]" * levels


# Bodies that parse (or nearly) but no request may hold: each is a 400 bad_request on every route reading JSON.
BAD_REQUEST_BODIES = {
    "100,000 nested arrays": nested(100_000),
    "100,000 nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "65 levels": b'{"bio": ' + nested(64) + b"}",
    "100,000 opening brackets, never closed": b"[" * 100_000,
    "integer of 4,301 digits": b'{"email": ' + b"9" * 4301 + b"}",
    "integer of 26 digits": b'{"email": -' + b"9" * 26 + b"}",
    "NaN": b'{"email": NaN}',
    "not UTF-8": b'{"email": "\xff"}',
    "a surrogate encoded in UTF-8": b'{"email": "\xed\xa0\x80"}',
    "20,001 arrays": b"[" + b"[]," * 20_000 + b"[]]",
}


@pytest.fixture
def no_error_logged(caplog):
    caplog.set_level(logging.INFO)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]


def send(client, method, path, body, headers=None):
    return getattr(client, method)(path, data=body, content_type="application/json", headers=headers or {})


def assert_refused(response, status, code):
    assert response.status_code == status, response.data[:300]
    assert len(response.data) <= MAX_ERROR_BODY
    assert set(error_codes(response)) == {code}
    return response.get_json()["errors"]


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("body", BAD_REQUEST_BODIES.values(), ids=BAD_REQUEST_BODIES.keys())
@pytest.mark.parametrize("method, path", PUBLIC_BODIES + AUTHENTICATED_BODIES)
def test_body_beyond_the_json_limits_is_400(client, headers, method, path, body):
    [error] = assert_refused(send(client, method, path, body, headers), 400, "bad_request")
    assert "field" not in error


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("body, status", [
    (b'{"bio": ' + nested(63) + b"}", 422),  # the object and 63 arrays: 64 levels, read (and refused as a bio)
    (b'{"bio": ' + b"9" * 25 + b"}", 422),
    (json.dumps({"bio": "[" * 100 + "9" * 100 + "\\\"[" * 100}).encode(), 200),  # in a string, neither counts
    (json.dumps({"bio": "\U0001F3B5"}).encode(), 200),  # an escaped surrogate pair is one character
])
def test_body_within_the_json_limits_is_read(client, headers, body, status):
    assert send(client, "patch", "/api/v1/users/me", body, headers).status_code == status


STRING_FIELDS = [
    ("post", "/api/v1/auth", {"email": "a@example.com", "username": "alice", "password": "password123", "bio": ""}),
    ("post", "/api/v1/auth/login", {"email": "a@example.com", "password": "password123"}),
    ("post", "/api/v1/auth/password", {"email": "a@example.com"}),
    ("put", "/api/v1/auth/password", {"reset_password_token": "token", "password": "password123"}),
    ("post", "/api/v2/refresh_tokens", {"refresh_token": "token"}),
    ("patch", "/api/v1/auth/password", {"current_password": "password123", "password": "password456"}),
    ("patch", "/api/v1/users/me", {"username": "alice", "bio": "Hello"}),
]


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("method, path, field", [
    (method, path, field) for method, path, body in STRING_FIELDS for field in body
])
def test_lone_surrogate_in_a_string_is_422_naming_the_field(client, headers, method, path, field):
    # It used to reach the database (or Redis) and fail to encode there: a 500 with a traceback.
    body = {**next(b for m, p, b in STRING_FIELDS if (m, p) == (method, path)), field: "a\udc80b"}
    [error] = assert_refused(send(client, method, path, json.dumps(body), headers), 422, "validation_error")
    assert error["field"] == field and "surrogate" in error["message"]


@pytest.mark.usefixtures("no_error_logged")
def test_lone_surrogate_in_a_key_is_422_and_the_answer_stays_utf8(client):
    response = send(client, "post", "/api/v1/auth/login", b'{"x\\ud800": 1}')
    [error] = assert_refused(response, 422, "validation_error")
    assert error["field"] == "x\ufffd"
    response.data.decode("utf-8")


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("method, path", PUBLIC_BODIES)
def test_a_million_unknown_fields_answer_one_entry(client, method, path):
    # 9.9 MB: this took 11 s of a worker and answered 71 MB, one message per key. It is now refused unparsed.
    keys = ("".join(letters) for letters in itertools.islice(itertools.product(string.ascii_letters, repeat=4), 10**6))
    body = json.dumps(dict.fromkeys(keys, 10), separators=(",", ":")).encode()
    assert len(body) > 9_900_000
    [error] = assert_refused(send(client, method, path, body), 422, "validation_error")
    assert error == {"code": "validation_error", "message": "More than 10000 fields."}


@pytest.mark.usefixtures("no_error_logged")
def test_thousands_of_unknown_fields_answer_20_entries(client):
    body = {f"extra{i:04d}": 1 for i in range(5000)}
    errors = assert_refused(send(client, "post", "/api/v1/auth", json.dumps(body)), 422, "validation_error")
    assert errors[:19] == [{"code": "validation_error", "field": f"extra{i:04d}", "message": "Unknown field."}
                           for i in range(19)]
    assert errors[19] == {"code": "validation_error", "message": "4981 more unknown fields."}


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("unknown", [19, 20, 200])
def test_unknown_fields_and_other_errors_stay_within_20_entries(client, unknown):
    body = {f"extra{i}": 1 for i in range(unknown)}  # and email and password missing
    errors = assert_refused(send(client, "post", "/api/v1/auth/login", json.dumps(body)), 422, "validation_error")
    assert len(errors) == 20


@pytest.mark.usefixtures("no_error_logged")
def test_a_huge_unknown_key_is_named_in_a_small_answer(client):
    body = json.dumps({"k" * 5_000_000: 1, "email": "a@example.com", "password": "password123"})
    [error] = assert_refused(send(client, "post", "/api/v1/auth/login", body), 422, "validation_error")
    assert error["field"].startswith("kkk") and error["message"] == "Unknown field."


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("username", ["alice\n", "alice\r\n", "\nalice", "ali\nce", "alice\t"])
def test_username_rule_holds_for_the_whole_string(client, headers, username):
    register = {"email": "a@example.com", "username": username, "password": "password123"}
    [error] = assert_refused(send(client, "post", "/api/v1/auth", json.dumps(register)), 422, "validation_error")
    assert error["field"] == "username"
    update = json.dumps({"username": username})
    [error] = assert_refused(send(client, "patch", "/api/v1/users/me", update, headers), 422, "validation_error")
    assert error["field"] == "username"


def test_username_without_a_newline_still_registers(client):
    body = {"email": "a@example.com", "username": "alice.b_2", "password": "password123"}
    assert send(client, "post", "/api/v1/auth", json.dumps(body)).status_code == 201


@pytest.mark.usefixtures("no_error_logged")
@pytest.mark.parametrize("path", ["/api/v1/users?q=%ED%A0%80", "/api/v2/songs?q=%ED%A0%80", "/api/v1/songs?q=%C0%AF"])
def test_surrogate_in_a_query_string_cannot_arrive(client, headers, path):
    # Werkzeug keeps bytes that are not UTF-8 percent-encoded: the text searched for is "%ED%A0%80" itself.
    response = client.get(path, headers=headers)
    assert response.status_code == 200 and response.get_json()["items"] == []


@pytest.mark.redis
def test_a_lone_surrogate_in_the_login_email_is_counted_in_redis(client, caplog):
    # The per-email key could not be encoded for Redis; flask-limiter took that as Redis being down and counted
    # every later request of this process in memory (per process, and never reset between requests).
    caplog.set_level(logging.INFO)
    assert send(client, "post", "/api/v1/auth/login", json.dumps({"email": "a\udc80b", "password": "x"})).status_code == 422
    assert not [r for r in caplog.records if "falling back" in r.getMessage() or r.exc_info]
    keys = list(redis_connection().scan_iter("*LIMITER*"))
    assert [key for key in keys if b"email:a\\udc80b" in key], keys
