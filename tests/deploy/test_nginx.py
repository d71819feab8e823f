"""deploy/nginx.conf, run by Debian's nginx in front of gunicorn (gunicorn.conf.py) with TRUSTED_PROXIES=1.

The config is copied with its ports and paths replaced (pid, logs and temp files in a tmp dir); the system's
nginx is never touched. The client talks to nginx from 127.0.0.3, so the address the app believes can be
told apart from nginx's own (127.0.0.1)."""
import gzip
import json
import os
import re
import uuid

import pytest

from tests.deploy.servers import ROOT, free_port, http_request, spawn, start_gunicorn, wait_until

NGINX = "/usr/sbin/nginx"
CLIENT = "127.0.0.3"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason=f"needs Debian's nginx at {NGINX} (CI installs it)")


def nginx_config(tmp, port, upstream_port):
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = " ".join(f"{kind}_temp_path {tmp}/{kind};" for kind in kinds)
    replacements = {
        # As root, workers would otherwise switch to www-data, which cannot enter pytest's private tmp dir.
        "user www-data;": "user root;" if os.geteuid() == 0 else "",
        "pid /run/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "error_log /var/log/nginx/error.log warn;": f"error_log {tmp}/error.log info;",
        "access_log /var/log/nginx/listify.access.log listify;": f"access_log {tmp}/access.log listify; {temp_paths}",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 80 default_server;": f"listen 127.0.0.1:{port} default_server;",
        "listen [::]:80 default_server;": "",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
        text = text.replace(old, new)
    assert not re.search(r"/var/|/run/", text), "the test copy still points at the system nginx's files"
    return text


def start_nginx(tmp, upstream_port):
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (tmp / "nginx.conf").write_text(nginx_config(tmp, port, upstream_port))
    server = spawn([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log"),
                    "-g", "daemon off;"], tmp / "nginx-stdout.log", port=port)
    server.log_path = tmp / "access.log"  # what the tests read: nginx's access log
    return server


@pytest.fixture(scope="module")
def stack(app, tmp_path_factory):
    """gunicorn (TRUSTED_PROXIES=1) behind nginx, shared by the module's tests."""
    tmp = tmp_path_factory.mktemp("nginx-stack")
    web = start_gunicorn(app, tmp, TRUSTED_PROXIES="1")
    proxy = None
    try:
        proxy = start_nginx(tmp / "nginx", web.port)
        web.wait_ready()
        proxy.wait_ready()
        yield web, proxy
    finally:
        if proxy is not None:
            proxy.stop()
        web.stop()
        print("nginx error log:\n" + (tmp / "nginx" / "error.log").read_text(errors="replace")[-2000:])


@pytest.fixture
def web(stack):
    return stack[0]


@pytest.fixture
def proxy(stack):
    return stack[1]


def through_nginx(proxy, method, path, **kwargs):
    return http_request(proxy.port, method, path, source=CLIENT, **kwargs)


def app_line(web, request_id):
    lines = [line for line in web.wait_for_log(f"request_id={request_id} ") if "listify.request:" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_up_answers_through_nginx(proxy):
    reply = through_nginx(proxy, "GET", "/up")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


def test_register_then_me_through_nginx(proxy):
    body = {"email": "nginx@example.com", "username": "nginx_user", "password": "password123"}
    registered = through_nginx(proxy, "POST", "/api/v1/auth", body=json.dumps(body),
                               headers={"Content-Type": "application/json"})
    assert registered.status == 201, registered.body
    token = registered.json()["access_token"]
    me = through_nginx(proxy, "GET", "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200
    assert me.json()["user"]["username"] == "nginx_user"
    assert me.json()["user"]["email"] == "nginx@example.com"


def test_nginx_generates_the_request_id_when_the_client_sends_none(web, proxy):
    reply = through_nginx(proxy, "GET", "/up")
    request_id = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    # nginx logged the same id it sent upstream, and the app logged the one it received.
    assert "GET /up HTTP/1.1\" 200" in proxy.wait_for_log(f"request_id={request_id}")[0]
    assert "GET /up 200" in app_line(web, request_id)


def test_client_request_id_is_passed_through(web, proxy):
    request_id = f"client-{uuid.uuid4().hex[:12]}"
    reply = through_nginx(proxy, "GET", "/up", headers={"X-Request-ID": request_id})
    assert reply.headers["X-Request-ID"] == request_id
    assert proxy.wait_for_log(f"request_id={request_id}")
    assert f"[{request_id}]" in app_line(web, request_id)


def test_unsafe_client_request_id_is_replaced_by_nginx(web, proxy):
    reply = through_nginx(proxy, "GET", "/up", headers={"X-Request-ID": "bad id; with spaces"})
    request_id = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert proxy.wait_for_log(f"request_id={request_id}")
    assert "GET /up 200" in app_line(web, request_id)


def test_oversized_body_gets_the_contract_413_from_nginx(web, proxy):
    request_id = f"too-large-{uuid.uuid4().hex[:12]}"
    reply = through_nginx(proxy, "POST", "/api/v1/auth", body=b"x" * (11 * 1024 * 1024),
                          headers={"Content-Type": "application/json", "X-Request-ID": request_id})
    assert reply.status == 413
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Request-ID"] == request_id
    assert reply.json() == {"errors": [{"code": "payload_too_large",
                                        "message": "The request body is too large (at most 10 MB)."}]}
    assert " 413 " in proxy.wait_for_log(f"request_id={request_id}")[0]
    assert f"request_id={request_id}" not in web.log()  # refused before it reached gunicorn


def test_body_under_the_limit_reaches_the_app(proxy):
    body = json.dumps({"email": "x" * (9 * 1024 * 1024)})
    reply = through_nginx(proxy, "POST", "/api/v1/auth", body=body, headers={"Content-Type": "application/json"})
    assert reply.status == 422  # the app's validation answered, not nginx's limit
    assert reply.json()["errors"][0]["code"] == "validation_error"


def test_app_sees_the_client_address_from_nginx_not_the_invented_one(web, proxy):
    request_id = f"xff-{uuid.uuid4().hex[:12]}"
    through_nginx(proxy, "GET", "/up", headers={"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"})
    line = app_line(web, request_id)
    assert line.endswith(f"remote={CLIENT}")
    assert "203.0.113.9" not in line


def test_gunicorn_without_trusted_proxies_ignores_x_forwarded_for(gunicorn_factory):
    direct = gunicorn_factory(TRUSTED_PROXIES="0")
    request_id = f"direct-{uuid.uuid4().hex[:12]}"
    reply = http_request(direct.port, "GET", "/up", source=CLIENT,
                         headers={"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"})
    assert reply.status == 200
    line = app_line(direct, request_id)
    assert line.endswith(f"remote={CLIENT}")
    assert "203.0.113.9" not in line


def test_json_is_gzipped(proxy):
    reply = through_nginx(proxy, "GET", "/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert "/api/v1/auth/login" in json.loads(gzip.decompress(reply.body))["paths"]


def test_unreachable_gunicorn_is_a_json_503(tmp_path):
    dead = start_nginx(tmp_path / "nginx", free_port())
    try:
        reply = wait_until(lambda: _answer(dead), 30, lambda: "nginx did not start")
        assert reply.status == 503
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.json()["errors"][0]["code"] == "service_unavailable"
    finally:
        dead.stop()


def _answer(server):
    try:
        return http_request(server.port, "GET", "/up", timeout=10)
    except OSError:  # not listening yet
        return None
