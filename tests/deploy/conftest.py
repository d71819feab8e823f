"""Fixtures of the deployment tests; the helpers they use are in tests/deploy/servers.py."""
import threading

import pytest
from werkzeug.serving import make_server

from tests.deploy.servers import start_gunicorn


@pytest.fixture
def served_app(app):
    """The test app served on a free loopback port by a threaded werkzeug server (for a browser): its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def gunicorn_factory(app, tmp_path):
    """start(**env) -> a ready gunicorn; all of them stopped after the test."""
    servers = []

    def start(ready=True, **env_overrides):
        server = start_gunicorn(app, tmp_path, **env_overrides)
        servers.append(server)
        return server.wait_ready() if ready else server

    yield start
    for server in servers:
        server.stop()
