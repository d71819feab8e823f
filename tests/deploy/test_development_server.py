"""`flask run`, the development server of `make run`: one log line per request, ours (with its request id)."""
import sys

import pytest

from tests.deploy.servers import free_port, gunicorn_env, http_request, spawn


@pytest.fixture
def development_server(app, tmp_path):
    port = free_port()
    env = gunicorn_env(app, tmp_path)
    server = spawn([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
                   tmp_path / "flask-run.log", env=env, port=port)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_each_request_is_logged_once(development_server):
    assert http_request(development_server.port, "GET", "/ready").status == 200
    assert http_request(development_server.port, "GET", "/no/such/path").status == 404

    for path in ("/ready", "/no/such/path"):
        [line] = development_server.wait_for_log(f"GET {path} ")
        assert "listify.request" in line and "request_id=" in line
    assert "HTTP/1.1" not in development_server.log()  # werkzeug's own access line


def test_the_server_still_says_where_it_listens(development_server):
    assert development_server.wait_for_log(f"Running on http://127.0.0.1:{development_server.port}")
