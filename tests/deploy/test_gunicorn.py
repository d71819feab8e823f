"""The app under gunicorn with gunicorn.conf.py: it boots, answers, logs the request id, refuses to start
in production without secrets, and adds up every worker's metrics in multiprocess mode."""
import multiprocessing
import runpy
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.servers import ROOT, http_request

CONF = str(ROOT / "gunicorn.conf.py")
CONF_ENV = ("PORT", "GUNICORN_BIND", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "PROMETHEUS_MULTIPROC_DIR",
            "GUNICORN_CONTROL_SOCKET", "GUNICORN_ACCESS_LOG")


def load_conf(monkeypatch, **env):
    for name in CONF_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_app_boots_under_gunicorn_and_answers_up(gunicorn_factory):
    server = gunicorn_factory()
    reply = http_request(server.port, "GET", "/up")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


def test_access_log_line_carries_the_request_id(gunicorn_factory):
    server = gunicorn_factory()
    reply = http_request(server.port, "GET", "/up", headers={"X-Request-ID": "gunicorn-access-log-1"})
    assert reply.headers["X-Request-ID"] == "gunicorn-access-log-1"
    [access] = server.wait_for_log("[gunicorn-access-log-1] gunicorn.access:")
    assert "GET /up 200" in access and "request_id=gunicorn-access-log-1 remote=127.0.0.1" in access


def test_production_without_secrets_refuses_to_start(gunicorn_factory):
    server = gunicorn_factory(ready=False, LISTIFY_ENV="production", SECRET_KEY="", JWT_SECRET_KEY="")
    returncode = server.process.wait(timeout=60)
    assert returncode != 0
    assert "Refusing to start in production without SECRET_KEY, JWT_SECRET_KEY" in server.log()


def test_metrics_add_up_every_worker_in_multiprocess_mode(gunicorn_factory, tmp_path):
    token = "deploy-metrics-token-0123456789"
    server = gunicorn_factory(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"), METRICS_TOKEN=token,
                              WEB_CONCURRENCY="2")
    up = ("listify_http_requests_total", (("endpoint", "health.up"), ("method", "GET"), ("status", "200")))
    before = scrape(server.port, token)
    for _ in range(6):
        assert http_request(server.port, "GET", "/up").status == 200
    after = scrape(server.port, token)
    assert after[up] - before.get(up, 0) == 6
    assert len(list((tmp_path / "prometheus").glob("counter_*.db"))) >= 1


def scrape(port, token):
    reply = http_request(port, "GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 200, reply.body
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.body.decode()) for s in family.samples
    }


@pytest.mark.parametrize("env, expected", [
    ({}, ["127.0.0.1:8000"]),
    ({"PORT": "5005"}, ["0.0.0.0:5005"]),
    ({"GUNICORN_BIND": "127.0.0.1:9001"}, ["127.0.0.1:9001"]),
    ({"GUNICORN_BIND": "unix:/run/listify/web.sock", "PORT": "5005"}, ["unix:/run/listify/web.sock"]),
], ids=["default", "port", "bind", "bind-wins"])
def test_bind_comes_from_the_environment(monkeypatch, env, expected):
    assert load_conf(monkeypatch, **env)["bind"] == expected


@pytest.mark.parametrize("env, expected", [
    ({}, multiprocessing.cpu_count() * 2 + 1),
    ({"WEB_CONCURRENCY": "3"}, 3),
], ids=["cpus", "web-concurrency"])
def test_workers_come_from_cpus_or_web_concurrency(monkeypatch, env, expected):
    assert load_conf(monkeypatch, **env)["workers"] == expected


def test_forwarded_allow_ips_defaults_to_loopback_only(monkeypatch):
    assert load_conf(monkeypatch)["forwarded_allow_ips"] == "127.0.0.1"
    assert load_conf(monkeypatch, FORWARDED_ALLOW_IPS="10.0.0.5")["forwarded_allow_ips"] == "10.0.0.5"


def test_dead_worker_is_marked_dead_for_prometheus(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    live = tmp_path / "gauge_livesum_4242.db"
    kept = tmp_path / "counter_4242.db"
    live.write_bytes(b"")
    kept.write_bytes(b"")
    conf["child_exit"](None, SimpleNamespace(pid=4242))
    assert not live.exists()
    assert kept.exists()
