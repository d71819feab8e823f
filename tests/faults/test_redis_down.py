"""Redis stops while the API serves (a real gunicorn on a private redis-server), then comes back.

Reads go on (authentication, the access-token denylist included, is PostgreSQL only), limits go on per process (flask-limiter's
in-memory fallback), what needs the queue answers 503 without leaving a job behind, and everything recovers
once Redis is back, without restarting the app.
"""
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SyncJob
from tests.deploy.servers import http_request, start_gunicorn, wait_until
from tests.factories import make_song
from tests.faults.servers import PrivateRedis

PASSWORD = "password123"


API_ENV = {"WEB_CONCURRENCY": "1", "RATELIMIT_LOGIN": "3 per minute"}  # one process: "per process" is this one


@pytest.fixture(scope="module")
def outage(app, tmp_path_factory):
    """A gunicorn serving while its Redis is down (one for the module: a boot costs seconds). Each test talks
    from a loopback address of its own, so their rate-limit counts stay apart."""
    tmp_path = tmp_path_factory.mktemp("redis-outage")
    redis = PrivateRedis(tmp_path / "redis.log").start()
    server = start_gunicorn(app, tmp_path, REDIS_URL=redis.url(), **API_ENV)
    try:
        server.wait_ready()
        redis.stop()
        yield server
    finally:
        server.stop()
        redis.stop()


def call(server, method, path, token=None, body=None, source="127.0.0.1"):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(server.port, method, path, headers=headers, source=source,
                        body=json.dumps(body) if body is not None else None)


def login(server, user, password=PASSWORD, source="127.0.0.1"):
    return call(server, "POST", "/api/v1/auth/login", body={"email": user.email, "password": password}, source=source)


def error_codes_of(reply):
    body = reply.json()
    assert set(body) == {"errors"}, body
    assert all(set(e) <= {"code", "message", "field"} for e in body["errors"]), body
    return [e["code"] for e in body["errors"]]


def test_reads_keep_working_while_redis_is_down(outage, make_user):
    ip = "127.0.0.11"
    user = make_user()
    make_song(title="Still here")
    token = login(outage, user, source=ip).json()["access_token"]

    songs = call(outage, "GET", "/api/v2/songs", token, source=ip)
    me = call(outage, "GET", "/api/v1/users/me", token, source=ip)

    assert songs.status == 200 and [s["title"] for s in songs.json()["items"]] == ["Still here"]
    assert me.status == 200 and me.json()["user"]["id"] == user.id


def test_a_token_revoked_while_redis_is_down_stays_revoked(outage, make_user):
    ip = "127.0.0.12"
    token = login(outage, make_user(), source=ip).json()["access_token"]
    assert call(outage, "DELETE", "/api/v1/auth/logout", token, body={}, source=ip).status == 204

    reply = call(outage, "GET", "/api/v1/users/me", token, source=ip)

    assert reply.status == 401 and error_codes_of(reply) == ["token_revoked"]


def test_sync_is_503_and_leaves_no_job_queued_while_redis_is_down(outage, make_user):
    ip = "127.0.0.13"
    token = login(outage, make_user(is_admin=True), source=ip).json()["access_token"]

    reply = call(outage, "POST", "/api/v2/songs/sync", token, body={"query": "daft punk"}, source=ip)

    assert reply.status == 503 and error_codes_of(reply) == ["service_unavailable"]
    assert b"Traceback" not in reply.body
    db.session.remove()
    jobs = db.session.scalars(select(SyncJob)).all()
    assert [(job.status, job.ended_at is not None) for job in jobs] == [("failed", True)]
    assert "job queue is unavailable" in jobs[0].error


def test_ready_is_503_naming_redis_while_it_is_down(outage):
    reply = call(outage, "GET", "/ready", source="127.0.0.14")

    assert reply.status == 503 and error_codes_of(reply) == ["service_unavailable"]
    message = reply.json()["errors"][0]["message"]
    assert "redis" in message and "database" not in message


def test_login_limit_still_applies_in_the_process_while_redis_is_down(outage, make_user):
    user = make_user()

    attempts = [login(outage, user, "wrong password", source="127.0.0.15").status for _ in range(4)]

    assert attempts == [401, 401, 401, 429]


def test_everything_recovers_without_a_restart_when_redis_comes_back(gunicorn, private_redis, make_user):
    api = gunicorn(REDIS_URL=private_redis.url(), **API_ENV)
    admin = make_user(is_admin=True)
    token = login(api, admin).json()["access_token"]
    private_redis.stop()
    assert call(api, "POST", "/api/v2/songs/sync", token, body={"chart": True}).status == 503
    assert [login(api, admin, "wrong password").status for _ in range(4)] == [401, 401, 401, 429]

    private_redis.start()  # empty: --save "" keeps nothing of the limits counted before

    wait_until(lambda: call(api, "GET", "/ready").status == 200, 10, lambda: "/ready not 200 after Redis came back")
    # flask-limiter probes its storage again after a backoff (at most 2**n seconds): limits move back to Redis.
    redis = private_redis.client()
    wait_until(lambda: call(api, "GET", "/api/v2/songs", token).status == 200 and redis.keys("LIMITS:*"), 40,
               lambda: "rate limits never went back to Redis")
    assert login(api, admin).status == 200  # the in-memory count of the outage is gone with it
    assert redis.keys("LIMITS:*login*")
    sync = call(api, "POST", "/api/v2/songs/sync", token, body={"chart": True})
    assert sync.status == 202
    assert redis.llen("rq:queue:ingest") == 1
    db.session.remove()
    statuses = db.session.scalars(select(SyncJob.status).order_by(SyncJob.enqueued_at)).all()
    assert statuses == ["failed", "queued"]
