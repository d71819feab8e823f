"""Every layer answers in the one error shape, never HTML or a stack trace."""
import json
import logging

import pytest
from flask import Blueprint

from tests.conftest import error_codes


def test_unknown_path_is_json_404(client):
    response = client.get("/no/such/path")
    assert response.status_code == 404 and response.is_json
    assert error_codes(response) == ["not_found"]


def test_trailing_slash_is_not_redirected(client):
    response = client.get("/up/")
    assert response.status_code == 404 and response.is_json


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/v1/auth/login")
    assert response.status_code == 405
    assert error_codes(response) == ["method_not_allowed"]
    assert "POST" in response.headers["Allow"]


def test_body_over_10_mb_is_413(client):
    response = client.post("/api/v1/auth", data=b"x" * (10 * 1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413
    assert error_codes(response) == ["payload_too_large"]


@pytest.mark.parametrize("body, content_type", [
    ("email=a%40example.com&password=password123", "application/x-www-form-urlencoded"),
    ('{"email": "a@example.com", "password": "password123"}', "text/plain"),
    ('{"email": "a@example.com", "password": "password123"}', None),
])
def test_a_body_that_is_not_json_is_415(client, make_user, body, content_type):
    make_user(email="a@example.com")
    response = client.post("/api/v1/auth/login", data=body, content_type=content_type)
    assert response.status_code == 415
    assert error_codes(response) == ["unsupported_media_type"]
    assert "application/json" in response.get_json()["errors"][0]["message"]


def test_no_body_without_a_content_type_is_a_validation_error(client):
    response = client.post("/api/v1/auth/login")
    assert response.status_code == 422 and error_codes(response) == ["validation_error", "validation_error"]


def test_json_with_a_charset_or_a_json_suffix_is_json(client, make_user):
    make_user(email="a@example.com", password="password123")
    body = json.dumps({"email": "a@example.com", "password": "password123"})
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        assert client.post("/api/v1/auth/login", data=body, content_type=content_type).status_code == 200


def test_the_415_is_documented_where_a_json_body_is_read(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "415" in paths["/api/v1/auth/login"]["post"]["responses"]
    assert "415" not in paths["/api/v2/songs"]["get"]["responses"]


def test_request_id_is_returned_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="listify.request")
    response = client.get("/up", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    line = [r.getMessage() for r in caplog.records if r.name == "listify.request"][-1]
    assert "GET /up 200" in line and "request_id=abc-123" in line


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/up", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.fixture
def app_with_broken_route(app_config, make_app):
    app = make_app(app_config)
    broken = Blueprint("broken", __name__)

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(broken)
    return app


def test_unexpected_error_is_json_500_without_stack_trace(app_with_broken_route, caplog):
    response = app_with_broken_route.test_client().get("/boom")
    assert response.status_code == 500
    assert error_codes(response) == ["internal_error"]
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
    request_id = response.headers["X-Request-ID"]
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(request_id in r.getMessage() and r.exc_info for r in logged)


def test_default_rate_limit_applies_to_api_routes(client, app):
    assert app.config["RATELIMIT_DEFAULT"] == "300 per minute"
    codes = [client.get("/api/v1/users/me").status_code for _ in range(301)]
    assert codes[:300] == [401] * 300 and codes[300] == 429
    response = client.get("/api/v1/users/me")
    assert error_codes(response) == ["rate_limited"] and int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert client.get("/up").status_code == 200  # probes are not limited


def test_cors_allows_configured_origins_only(app_config, make_app):
    class WithCors(app_config):
        CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    client = make_app(WithCors).test_client()
    allowed = client.get("/up", headers={"Origin": "https://app.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    denied = client.get("/up", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_trusted_proxy_count_decides_the_client_ip(app_config, make_app):
    class BehindOneProxy(app_config):
        TRUSTED_PROXIES = 1
        RATELIMIT_LOGIN = "1 per minute"

    client = make_app(BehindOneProxy).test_client()
    body = {"email": "x@example.com", "password": "whatever1"}
    first = client.post("/api/v1/auth/login", json={**body, "email": "a@example.com"},
                        headers={"X-Forwarded-For": "198.51.100.1"})
    other_ip = client.post("/api/v1/auth/login", json={**body, "email": "b@example.com"},
                           headers={"X-Forwarded-For": "198.51.100.2"})
    same_ip = client.post("/api/v1/auth/login", json={**body, "email": "c@example.com"},
                          headers={"X-Forwarded-For": "198.51.100.1"})
    assert (first.status_code, other_ip.status_code, same_ip.status_code) == (401, 401, 429)


@pytest.mark.parametrize("method, path, kwargs, field", [
    ("post", "/api/v1/auth/password", {"json": {"email": "a\x00@example.com"}}, "email"),
    ("post", "/api/v1/auth", {"json": {"email": "a@example.com", "username": "abc", "password": "x\x00" * 5}}, "password"),
    ("post", "/api/v1/auth/login", {"json": {"email": "a@example.com", "password": "password1", "x\x00": 1}}, "x\x00"),
    ("get", "/api/v1/users", {"query_string": {"q": "ab\x00"}}, "q"),
    ("get", "/api/v2/songs", {"query_string": {"q": "\x00"}}, "q"),
])
def test_text_with_a_nul_character_is_422(client, make_user, auth_headers, method, path, kwargs, field):
    # PostgreSQL cannot hold NUL in text: this used to reach the database there and answer 500.
    response = getattr(client, method)(path, headers=auth_headers(make_user()), **kwargs)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("get", "/up", {}, 200),
    ("get", "/openapi.json", {}, 200),
    ("get", "/no/such/path", {}, 404),
    ("delete", "/api/v1/auth/login", {}, 405),
    ("get", "/api/v1/users/me", {}, 401),
    ("post", "/api/v1/auth/login", {"json": {}}, 422),
    ("post", "/api/v1/auth", {"data": b"x" * (10 * 1024 * 1024 + 1), "content_type": "application/json"}, 413),
])
def test_every_response_says_nosniff(client, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unexpected_error_says_nosniff(app_with_broken_route):
    response = app_with_broken_route.test_client().get("/boom")
    assert response.status_code == 500 and response.headers["X-Content-Type-Options"] == "nosniff"


ADA = {"email": "ada@example.com", "password": "password123"}


def _register(client):
    return client.post("/api/v1/auth", json={**ADA, "username": "ada"})


@pytest.mark.parametrize("method, path, body, status", [
    ("post", "/api/v1/auth", {"email": "nope"}, 422),
    ("post", "/api/v1/auth/login", ADA, 200),
    ("post", "/api/v1/auth/login", {**ADA, "password": "wrong-one"}, 401),
    ("post", "/api/v1/auth/login", "[" * 1000, 400),
    ("post", "/api/v2/refresh_tokens", {"refresh_token": "never-issued"}, 401),
    ("put", "/api/v1/auth/password", {"reset_password_token": "x", "password": "password456"}, 422),
    ("patch", "/api/v1/auth/password", {"current_password": "password123"}, 401),
])
def test_token_routes_are_not_cached(client, method, path, body, status):
    # RFC 6749 §5.1: an answer carrying tokens must not be stored, and neither are these routes' errors.
    registered = _register(client)
    assert registered.status_code == 201 and registered.headers["Cache-Control"] == "no-store"
    data = body if isinstance(body, str) else json.dumps(body)
    response = getattr(client, method)(path, data=data, content_type="application/json")
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"


def test_refreshed_and_changed_tokens_are_not_cached(client):
    session = _register(client).get_json()
    refreshed = client.post("/api/v2/refresh_tokens", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.headers["Cache-Control"] == "no-store"
    changed = client.patch("/api/v1/auth/password", json={"current_password": "password123", "password": "password456"},
                           headers={"Authorization": f"Bearer {refreshed.get_json()['access_token']}"})
    assert changed.status_code == 200 and changed.headers["Cache-Control"] == "no-store"


def test_other_routes_may_be_cached(client, make_user, auth_headers):
    response = client.get("/api/v1/users/me", headers=auth_headers(make_user()))
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")


def _request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "listify.request"]


def test_control_characters_in_the_path_do_not_split_the_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="listify.request")
    response = client.get("/api/v1/x%0aFAKE%20LINE%0d%1b[31m%e2%80%a8")
    assert response.status_code == 404
    [line] = _request_lines(caplog)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert "GET /api/v1/x\\x0aFAKE LINE\\x0d\\x1b[31m\\u2028 404" in line


def test_control_characters_in_the_client_address_are_escaped(app_config, make_app, caplog):
    class BehindOneProxy(app_config):
        TRUSTED_PROXIES = 1

    caplog.set_level(logging.INFO, logger="listify.request")
    make_app(BehindOneProxy).test_client().get("/up", headers={"X-Forwarded-For": "198.51.100.1\x1b[2J\x7f"})
    [line] = _request_lines(caplog)
    assert line.endswith("remote=198.51.100.1\\x1b[2J\\x7f")
