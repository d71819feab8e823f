"""PostgreSQL becomes unreachable under a serving gunicorn (every connection through a proxy that is cut), then
comes back: the API answers JSON 503s meanwhile and recovers by itself (dead pooled connections are
refused at checkout, app/database.py), without a restart.

PostgreSQL only: SQLite is a file the process has open, so there is no connection to lose; making the file
unreadable changes nothing for connections already open (and nothing at all for root), which is not a fault
the app could see or handle.
"""
import json

import pytest

from tests.deploy.servers import http_request, start_gunicorn
from tests.faults.servers import TcpProxy

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def served(app, app_config, tmp_path_factory):
    """A gunicorn whose every database connection goes through a proxy (one for the module: a boot costs seconds)."""
    from sqlalchemy.engine import make_url

    url = make_url(app_config.SQLALCHEMY_DATABASE_URI)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = start_gunicorn(app, tmp_path_factory.mktemp("db-outage"), DATABASE_URL=through_proxy,
                            WEB_CONCURRENCY="1")
    try:
        server.wait_ready()
        yield server, proxy
    finally:
        server.stop()
        proxy.close()


@pytest.fixture
def api(served):
    server, _ = served
    return server


@pytest.fixture
def database_cut(served):
    """The database unreachable for the test: open connections reset, new ones refused; restored after."""
    _, proxy = served
    proxy.cut()
    yield proxy
    proxy.restore()


def call(server, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(server.port, method, path, headers=headers, body=json.dumps(body) if body is not None else None)


@pytest.fixture
def token(api, make_user):
    user = make_user()
    reply = call(api, "POST", "/api/v1/auth/login", body={"email": user.email, "password": "password123"})
    assert reply.status == 200, reply.body
    return reply.json()["access_token"]


def assert_service_unavailable(reply):
    assert reply.status == 503, reply.body
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert set(body) == {"errors"} and [e["code"] for e in body["errors"]] == ["service_unavailable"], body
    assert b"Traceback" not in reply.body and b"psycopg" not in reply.body
    return body["errors"][0]["message"]


def test_ready_is_503_naming_the_database_when_it_is_unreachable(api, database_cut):
    message = assert_service_unavailable(call(api, "GET", "/ready"))

    assert "database" in message and "redis" not in message


@pytest.mark.parametrize("path", ["/api/v2/songs", "/api/v1/users/me", "/api/v2/feed/explore"])
def test_api_requests_are_json_503_when_the_database_is_unreachable(api, token, database_cut, path):
    assert_service_unavailable(call(api, "GET", path, token))


def test_login_is_json_503_when_the_database_is_unreachable(api, make_user, database_cut):
    user = make_user()

    reply = call(api, "POST", "/api/v1/auth/login", body={"email": user.email, "password": "password123"})

    assert_service_unavailable(reply)


def test_liveness_stays_200_when_the_database_is_unreachable(api, database_cut):
    reply = call(api, "GET", "/up")

    assert reply.status == 200 and reply.json() == {"status": "ok"}


def test_requests_succeed_again_once_the_database_is_back(api, token, served):
    _, proxy = served
    proxy.cut()
    assert call(api, "GET", "/api/v1/users/me", token).status == 503
    assert call(api, "GET", "/ready").status == 503

    proxy.restore()

    assert call(api, "GET", "/ready").status == 200
    me = call(api, "GET", "/api/v1/users/me", token)
    assert me.status == 200 and me.json()["user"]["username"]
