"""Under gunicorn, a request cannot write a line of its own into the logs: control characters that arrive
percent-encoded in the path are escaped in gunicorn's access line and in the app's request line."""
from tests.deploy.servers import http_request


def test_encoded_newline_in_the_path_does_not_forge_a_log_line(gunicorn_factory):
    server = gunicorn_factory()
    path = "/api/v1/x%0aFAKE%20LINE%0d%1b%5b2J%C3%A9"
    reply = http_request(server.port, "GET", path, headers={"X-Request-ID": "inject-1"})
    assert reply.status == 404
    [access] = server.wait_for_log("[inject-1] gunicorn.access:")
    [ours] = server.wait_for_log("[inject-1] listify.request:")
    for line in (access, ours):
        assert "GET /api/v1/x\\x0aFAKE LINE\\x0d\\x1b[2Jé 404" in line
    assert not [line for line in server.log().splitlines() if line.startswith(("FAKE", "\x1b"))]
