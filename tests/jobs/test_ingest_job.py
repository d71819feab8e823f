"""The `ingest` job: run_sync(job_id) in-process, its retry behaviour, and a real RQ worker end to end."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import ingest
from app.models import Song, SyncJob
from app.services.deezer import DeezerClient, DeezerSource, DeezerUnavailableError
from app.services.sync_jobs import create_sync_job
from tests.fakes.deezer_server import FakeDeezer, NoWaitLimiter, recorded, sample_routes

BASE_URL = "http://127.0.0.1:9"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def deezer_samples(app, monkeypatch, requests_mock):
    """The job's Deezer client talks to requests-mock's recorded samples, and never waits."""

    def client():
        return DeezerClient(BASE_URL, NoWaitLimiter(), sleep=lambda seconds: None, random=lambda: 0.5)

    monkeypatch.setattr(ingest, "deezer_client", client)
    for path, body in sample_routes().items():
        requests_mock.get(BASE_URL + path, json=body)
    return requests_mock


def retries_left(monkeypatch, left: bool):
    monkeypatch.setattr(ingest, "get_current_job", lambda: SimpleNamespace(should_retry=left))


def test_run_sync_takes_the_job_id_and_finishes_the_job(deezer_samples):
    job_id = create_sync_job(DeezerSource("album", 302127), 100, None).id

    ingest.run_sync(job_id)

    job = db.session.get(SyncJob, job_id)
    assert (job.status, job.pages, job.tracks_seen, job.created, job.updated) == ("finished", 2, 14, 14, 0)
    assert job.started_at is not None and job.ended_at is not None


def test_transient_failure_with_retries_left_requeues_the_job_and_the_retry_finishes(deezer_samples, monkeypatch):
    retries_left(monkeypatch, True)
    deezer_samples.get(BASE_URL + "/album/302127/tracks", [{"status_code": 502}] * 5 + [
        {"json": sample_routes()["/album/302127/tracks"]}])
    job_id = create_sync_job(DeezerSource("album", 302127), 100, None).id

    with pytest.raises(DeezerUnavailableError):
        ingest.run_sync(job_id)

    waiting = db.session.get(SyncJob, job_id)
    assert (waiting.status, waiting.ended_at) == ("queued", None)
    assert "album 302127" in waiting.error and "will retry" in waiting.error
    ingest.run_sync(job_id)  # RQ's retry
    done = db.session.get(SyncJob, job_id)
    assert (done.status, done.error, done.pages, done.created) == ("finished", None, 2, 14)


def test_transient_failure_on_the_last_attempt_fails_the_job(deezer_samples, monkeypatch):
    retries_left(monkeypatch, False)
    deezer_samples.get(BASE_URL + "/chart/0/tracks", status_code=503)
    job_id = create_sync_job(DeezerSource("chart"), 100, None).id

    with pytest.raises(DeezerUnavailableError):
        ingest.run_sync(job_id)

    job = db.session.get(SyncJob, job_id)
    assert job.status == "failed" and job.ended_at is not None and "chart" in job.error


def test_permanent_error_fails_the_job_without_a_retry(deezer_samples, monkeypatch):
    retries_left(monkeypatch, True)
    deezer_samples.get(BASE_URL + "/album/404", json=recorded("error_album_not_found.json"))
    job_id = create_sync_job(DeezerSource("album", 404), 100, None).id

    ingest.run_sync(job_id)  # returns: RQ must not retry what cannot succeed

    job = db.session.get(SyncJob, job_id)
    assert job.status == "failed" and "album 404" in job.error and job.ended_at is not None
    assert deezer_samples.call_count == 1


def test_malformed_items_are_skipped_and_the_job_finishes_saying_so(deezer_samples, monkeypatch):
    retries_left(monkeypatch, True)
    chart = recorded("chart_0_tracks.json")
    chart["data"][0]["id"], chart["data"][1]["duration"] = "²", 10**12
    deezer_samples.get(BASE_URL + "/chart/0/tracks", json=chart)
    job_id = create_sync_job(DeezerSource("chart"), 100, None).id

    ingest.run_sync(job_id)

    job = db.session.get(SyncJob, job_id)
    assert (job.status, job.tracks_seen, job.created) == ("finished", 8, 8)
    assert job.error == "2 malformed Deezer items skipped"


@pytest.mark.redis
def test_worker_runs_a_sync_queued_through_the_api(app, app_config, client, make_user, auth_headers):
    admin = make_user(is_admin=True)
    response = client.post("/api/v2/songs/sync", json={"album_id": 302127}, headers=auth_headers(admin))
    assert response.status_code == 202
    status_url = response.get_json()["status_url"]
    assert client.get(status_url, headers=auth_headers(admin)).get_json()["status"] == "queued"

    with FakeDeezer(sample_routes()) as deezer:
        env = {**os.environ, "DATABASE_URL": app_config.SQLALCHEMY_DATABASE_URI, "REDIS_URL": app_config.REDIS_URL,
               "DEEZER_API_URL": deezer.url, "LISTIFY_ENV": "development"}
        worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr[-3000:]

    db.session.remove()  # the worker wrote in another process: forget what this session read before
    job = client.get(status_url, headers=auth_headers(admin)).get_json()
    assert job["status"] == "finished", (job, worker.stderr[-3000:])
    assert job["progress"] == {"pages": 2, "tracks_seen": 14, "created": 14, "updated": 0}
    assert sorted(deezer.requests) == ["/album/302127", "/album/302127/tracks?limit=100"]
    assert db.session.scalar(select(func.count()).select_from(Song)) == 14
