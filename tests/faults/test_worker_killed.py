"""An RQ worker (and its work horse) SIGKILLed while a Deezer page is in flight.

Pages are committed one by one, so the database holds whole pages only. RQ finds the abandoned job when a
worker's registry maintenance sees its heartbeat expired (StartedJobRegistry.cleanup: AbandonedJobError), and
either retries it (the `Retry` given at enqueue) or moves it to the failed registry; our sync job's row follows,
and the retry completes the rest with the right counts.
"""
import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from app.extensions import db
from app.models import Song, SyncJob
from app.queue import get_queue, redis_connection
from tests.deploy.servers import wait_until
from tests.faults.servers import children_of, is_running, kill, worker_env

pytestmark = pytest.mark.redis

QUERY, TRACKS, PAGE_SIZE = "killed mid-page", 50, 10
HELD_INDEX = 2 * PAGE_SIZE  # the third page


@pytest.fixture
def killed_mid_page(app_config, tmp_path, client, make_user, auth_headers, fake_deezer, rq_worker):
    """A sync whose worker and work horse were SIGKILLed while its third page was being fetched."""
    deezer = fake_deezer({QUERY: TRACKS}, page_size=PAGE_SIZE)
    deezer.hold(QUERY, HELD_INDEX)
    headers = auth_headers(make_user(is_admin=True))
    started = client.post("/api/v2/songs/sync", json={"query": QUERY}, headers=headers)
    assert started.status_code == 202
    env = worker_env(app_config, tmp_path, deezer.url)
    worker = rq_worker(env, "--burst")
    wait_until(lambda: any(r.index == HELD_INDEX for r in deezer.seen(QUERY)), 60,
               lambda: f"page 3 never asked for:\n{worker.log()[-3000:]}")
    horses = children_of(worker.process.pid)
    assert horses, "no work horse"

    kill(worker.process.pid)  # the worker first, so that no one is left to notice its horse die
    for pid in horses:
        kill(pid)
    worker.process.wait(timeout=10)
    wait_until(lambda: not any(is_running(pid) for pid in horses), 10, lambda: "the work horse survived SIGKILL")
    db.session.remove()
    return {"job_id": started.get_json()["job_id"], "status_url": started.get_json()["status_url"],
            "headers": headers, "deezer": deezer, "env": env}


def rq_job(job_id):
    return Job.fetch(job_id, connection=redis_connection())


def registry_maintenance_after_heartbeat_expiry(job_id):
    """What the next worker's registry maintenance does once the dead worker's heartbeat has expired."""
    registry = get_queue("ingest").started_job_registry
    expires = max(registry.connection.zscore(registry.key, entry) for entry in registry.connection.zrange(
        registry.key, 0, -1) if entry.decode().startswith(job_id))
    registry.cleanup(timestamp=expires + 1)


def songs_stored():
    return db.session.scalar(select(func.count()).select_from(Song))


def test_a_killed_worker_leaves_only_whole_pages(killed_mid_page):
    job = db.session.get(SyncJob, killed_mid_page["job_id"])

    assert songs_stored() == 2 * PAGE_SIZE
    assert (job.status, job.pages, job.tracks_seen, job.created) == ("started", 2, 2 * PAGE_SIZE, 2 * PAGE_SIZE)


def test_an_abandoned_sync_is_queued_again_for_its_retry(killed_mid_page):
    job_id = killed_mid_page["job_id"]

    registry_maintenance_after_heartbeat_expiry(job_id)

    db.session.remove()
    job = db.session.get(SyncJob, job_id)
    assert rq_job(job_id).get_status() == JobStatus.SCHEDULED
    assert (job.status, job.ended_at) == ("queued", None)
    assert 'query "killed mid-page"' in job.error and "will retry" in job.error


def test_an_abandoned_sync_without_retries_left_is_failed(killed_mid_page):
    job_id = killed_mid_page["job_id"]
    redis_connection().hset(rq_job(job_id).key, "retries_left", 0)  # the kill hit its last attempt

    registry_maintenance_after_heartbeat_expiry(job_id)

    db.session.remove()
    job = db.session.get(SyncJob, job_id)
    assert rq_job(job_id).get_status() == JobStatus.FAILED
    assert job.status == "failed" and job.ended_at is not None
    assert 'query "killed mid-page"' in job.error and "will retry" not in job.error


def test_the_retry_of_an_abandoned_sync_completes_the_rest(killed_mid_page, client, rq_worker):
    job_id, deezer = killed_mid_page["job_id"], killed_mid_page["deezer"]
    registry_maintenance_after_heartbeat_expiry(job_id)
    ScheduledJobRegistry(queue=get_queue("ingest")).requeue(job_id)  # its retry interval over
    deezer.release()

    retry = rq_worker(killed_mid_page["env"], "--burst")
    retry.process.wait(timeout=120)

    assert retry.process.returncode == 0, retry.log()[-3000:]
    db.session.remove()
    job = client.get(killed_mid_page["status_url"], headers=killed_mid_page["headers"]).get_json()
    assert (job["status"], job["error"]) == ("finished", None)
    assert job["progress"] == {"pages": TRACKS // PAGE_SIZE, "tracks_seen": TRACKS, "created": TRACKS, "updated": 0}
    assert songs_stored() == TRACKS
    assert sorted(db.session.scalars(select(Song.deezer_id))) == deezer.track_ids(QUERY)


def test_a_sync_whose_work_horse_dies_under_a_living_worker_is_queued_again(
    app_config, tmp_path, client, make_user, auth_headers, fake_deezer, rq_worker,
):
    deezer = fake_deezer({QUERY: TRACKS}, page_size=PAGE_SIZE)
    deezer.hold(QUERY, HELD_INDEX)
    started = client.post("/api/v2/songs/sync", json={"query": QUERY}, headers=auth_headers(make_user(is_admin=True)))
    worker = rq_worker(worker_env(app_config, tmp_path, deezer.url), "--burst")
    wait_until(lambda: any(r.index == HELD_INDEX for r in deezer.seen(QUERY)), 60,
               lambda: f"page 3 never asked for:\n{worker.log()[-3000:]}")

    for pid in children_of(worker.process.pid):
        kill(pid)  # the out-of-memory killer's way
    worker.process.wait(timeout=60)  # the worker handles the loss, schedules the retry, and (burst) exits

    db.session.remove()
    job = db.session.get(SyncJob, started.get_json()["job_id"])
    assert rq_job(job.id).get_status() == JobStatus.SCHEDULED
    assert (job.status, job.ended_at, job.pages) == ("queued", None, 2)
    assert "interrupted" in job.error and "will retry" in job.error
    assert songs_stored() == 2 * PAGE_SIZE
