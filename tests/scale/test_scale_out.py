"""Two gunicorn instances and two RQ workers on one PostgreSQL and one Redis behave as one service: login limits
are counted across instances, a refresh token rotates once whichever instance sees it, each job runs once, and the
Deezer quota holds across workers."""
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RefreshToken, SyncJob
from tests.deploy.servers import http_request, start_gunicorn, wait_until
from tests.faults.servers import worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PAGE_SIZE = 10


@pytest.fixture(scope="module")
def instances(app, tmp_path_factory):
    """Two gunicorns (two workers each) on the session's database and Redis, booted side by side."""
    tmp_path = tmp_path_factory.mktemp("instances")
    servers = [start_gunicorn(app, tmp_path) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def post(server, path, body):
    return http_request(server.port, "POST", path, headers={"Content-Type": "application/json"},
                        body=json.dumps(body))


def test_login_attempts_are_counted_across_instances(instances, make_user):
    a, b = instances
    user = make_user()
    wrong = {"email": user.email, "password": "wrong password"}

    spread = [post(server, "/api/v1/auth/login", wrong).status for server in (a, b, a, b, a)]

    assert spread == [401] * 5
    assert post(a, "/api/v1/auth/login", wrong).status == 429
    assert post(b, "/api/v1/auth/login", {**wrong, "password": "password123"}).status == 429


def test_a_refresh_token_rotated_on_one_instance_cannot_be_rotated_on_the_other(instances):
    a, b = instances
    signed_up = post(a, "/api/v1/auth", {"email": "ann@example.com", "username": "ann", "password": "password123"})
    first = signed_up.json()["refresh_token"]
    second = post(a, "/api/v2/refresh_tokens", {"refresh_token": first}).json()["refresh_token"]

    reuse = post(b, "/api/v2/refresh_tokens", {"refresh_token": first})

    assert reuse.status == 401 and [e["code"] for e in reuse.json()["errors"]] == ["token_revoked"]
    assert post(b, "/api/v2/refresh_tokens", {"refresh_token": second}).status == 401  # the family is revoked
    db.session.remove()
    tokens = db.session.scalars(select(RefreshToken).order_by(RefreshToken.id)).all()
    assert [t.revoked_reason for t in tokens] == ["rotated", "reuse_detected"]


def start_syncs(client, headers, queries):
    for query in queries:
        assert client.post("/api/v2/songs/sync", json={"query": query}, headers=headers).status_code == 202


def run_two_workers(rq_worker, env, deezer, queries):
    """Both workers started at once; every first page held until each worker has a job in flight."""
    for query in queries:
        deezer.hold(query, 0)
    workers = [rq_worker(env, "--burst") for _ in range(2)]
    wait_until(lambda: len({r.query for r in deezer.seen() if r.index == 0}) == 2, 60,
               lambda: "the two workers never ran jobs at the same time:\n" + workers[0].log()[-2000:])
    deezer.release()
    for worker in workers:
        worker.process.wait(timeout=120)
        assert worker.process.returncode == 0, worker.log()[-3000:]
    return workers


def test_each_job_runs_exactly_once_with_two_workers(app_config, tmp_path, client, make_user, auth_headers,
                                                      fake_deezer, rq_worker):
    queries = [f"once {n}" for n in range(6)]
    deezer = fake_deezer({query: 3 * PAGE_SIZE for query in queries}, page_size=PAGE_SIZE)
    start_syncs(client, auth_headers(make_user(is_admin=True)), queries)

    workers = run_two_workers(rq_worker, worker_env(app_config, tmp_path, deezer.url), deezer, queries)

    db.session.remove()
    jobs = db.session.scalars(select(SyncJob)).all()
    assert [(j.status, j.pages, j.tracks_seen, j.created) for j in jobs] == [("finished", 3, 30, 30)] * 6
    asked = sorted((r.query, r.index) for r in deezer.seen())
    assert asked == sorted((query, index) for query in queries for index in (0, 10, 20))
    runs = [worker.log().count("Job OK") for worker in workers]
    assert sum(runs) == len(queries) and all(runs)


def test_the_deezer_quota_holds_across_workers(app_config, tmp_path, client, make_user, auth_headers,
                                               fake_deezer, rq_worker):
    max_requests, window = 10, 2.0
    queries = [f"quota {n}" for n in range(4)]
    deezer = fake_deezer({query: 6 * PAGE_SIZE for query in queries}, page_size=PAGE_SIZE)
    start_syncs(client, auth_headers(make_user(is_admin=True)), queries)
    env = worker_env(app_config, tmp_path, deezer.url, DEEZER_MAX_REQUESTS=str(max_requests),
                     DEEZER_WINDOW_SECONDS=str(window))

    run_two_workers(rq_worker, env, deezer, queries)

    arrivals = sorted(r.at for r in deezer.seen())
    assert len(arrivals) == 4 * 6
    # A request reaches the fake a little after its grant: windows are checked a little shorter than the quota's.
    checked = window - 0.2
    busiest = max(sum(1 for t in arrivals if start <= t < start + checked) for start in arrivals)
    assert busiest <= max_requests, arrivals
