"""Fixtures of the deployment tests; the helpers they use are in tests/deploy/servers.py."""
import pytest

from tests.deploy.servers import start_gunicorn


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
