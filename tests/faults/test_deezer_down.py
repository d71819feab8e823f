"""Deezer slow or failing, end to end: POST /api/v2/songs/sync, the ingest job (in-process without Redis; an RQ
worker with Redis, its retries included), then the status endpoint. Retries are bounded, the job ends `failed`
with an error naming the source and the cause, and nothing hangs.

The job's Deezer client is the app's own (`deezer_client()`), built with a short read timeout and a backoff that
records instead of sleeping, injected where ingestion builds it.
"""
import functools

import pytest
from rq.registry import ScheduledJobRegistry

from app.extensions import db
from app.queue import get_queue, redis_connection
from app.services import ingestion
from app.services.deezer import DeezerClient
from app.services.sync_jobs import SYNC_RETRY

ATTEMPTS = 5  # the client's default attempts per run
READ_TIMEOUT = 0.2


@pytest.fixture
def backoffs(app, monkeypatch):
    """Backoff delays the client asked for (never slept); its read timeout cut to READ_TIMEOUT."""
    delays = []
    monkeypatch.setattr(ingestion, "DeezerClient",
                        functools.partial(DeezerClient, read_timeout=READ_TIMEOUT, sleep=delays.append))
    return delays


def run_until_settled(drain_jobs):
    """Run the queued jobs, and each retry RQ schedules, at once rather than after its interval."""
    drain_jobs()
    if redis_connection() is None:
        return
    scheduled = ScheduledJobRegistry(queue=get_queue("ingest"))
    for _ in range(SYNC_RETRY.max):
        job_ids = scheduled.get_job_ids()
        if not job_ids:
            return
        for job_id in job_ids:
            scheduled.requeue(job_id)  # what RQ's scheduler does once the interval is over
        drain_jobs()
    assert not scheduled.get_job_ids(), "retried more often than SYNC_RETRY allows"


def runs():
    """How many times the job runs: once in-process; with RQ, the first run and every retry."""
    return 1 if redis_connection() is None else 1 + SYNC_RETRY.max


@pytest.mark.parametrize(("fault", "cause"), [("timeout", "timed out"), ("http_500", "HTTP 500")])
def test_sync_fails_with_the_source_named_after_bounded_retries(
    app, client, make_user, auth_headers, fake_deezer, backoffs, drain_jobs, monkeypatch, fault, cause,
):
    deezer = fake_deezer({"slow songs": 30})
    if fault == "timeout":
        deezer.delay = 5 * READ_TIMEOUT  # each answer comes after the client gave up
    else:
        deezer.fail_with = 500
    monkeypatch.setitem(app.config, "DEEZER_API_URL", deezer.url)
    headers = auth_headers(make_user(is_admin=True))

    started = client.post("/api/v2/songs/sync", json={"query": "slow songs"}, headers=headers)
    assert started.status_code == 202
    run_until_settled(drain_jobs)

    db.session.remove()
    job = client.get(started.get_json()["status_url"], headers=headers).get_json()
    assert job["status"] == "failed" and job["ended_at"] is not None
    assert job["progress"] == {"pages": 0, "tracks_seen": 0, "created": 0, "updated": 0}
    assert 'query "slow songs"' in job["error"] and f"after {ATTEMPTS} attempts" in job["error"]
    assert cause in job["error"] and "will retry" not in job["error"]
    assert len(deezer.seen("slow songs")) == ATTEMPTS * runs()
    assert len(backoffs) == (ATTEMPTS - 1) * runs()
