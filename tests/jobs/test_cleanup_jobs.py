"""Periodic clean-up jobs: what is scheduled, the one-scheduler-enqueues rule, and real runs."""
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from sqlalchemy import select

from app.extensions import db
from app.jobs import cleanup as cleanup_jobs
from app.jobs import schedule, worker
from app.models import PasswordResetToken, RefreshToken, RevokedAccessToken, utcnow

ROOT = Path(__file__).resolve().parents[2]
PAST = datetime(2000, 1, 1, tzinfo=timezone.utc)


def test_every_clean_up_is_registered_on_the_default_queue():
    scheduler = CronScheduler(connection=Redis())  # registering talks to no server
    registered = schedule.register_periodic_jobs(scheduler)
    assert registered == scheduler.get_jobs()
    assert {(job.func_name, job.queue_name, job.interval) for job in registered} == {
        ("app.jobs.cleanup.purge_revoked_access_tokens", "default", 15 * 60),
        ("app.jobs.cleanup.purge_refresh_tokens", "default", 3600),
        ("app.jobs.cleanup.purge_password_reset_tokens", "default", 3600),
        ("app.jobs.cleanup.purge_expired_exports", "default", 3600),
        ("app.jobs.cleanup.purge_idempotency_keys", "default", 3600),
    }


def test_scheduler_of_the_worker_registers_the_periodic_jobs():
    scheduler = schedule.build_scheduler(Redis())
    assert isinstance(scheduler, schedule.LeaderCronScheduler)
    assert len(scheduler.get_jobs()) == len(schedule.PERIODIC_JOBS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], {"burst": False, "cron": True}), (["--no-cron"], {"burst": False, "cron": False}),
     (["--burst"], {"burst": True, "cron": True})],
)
def test_worker_command_starts_the_scheduler_unless_told_not_to(app, monkeypatch, args, expected):
    calls = []
    monkeypatch.setattr(worker, "run_worker", lambda queues, **options: calls.append((queues, options)))
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/4")
    result = app.test_cli_runner().invoke(args=["worker", *args])
    assert result.exit_code == 0, result.output
    assert calls == [(["ingest", "default"], expected)]


def test_burst_worker_does_not_start_the_scheduler(app, monkeypatch):
    started = []
    monkeypatch.setattr(worker, "start_scheduler_process", lambda *args: started.append(args))
    monkeypatch.setattr(worker.AppWorker, "work", lambda self, **options: True)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/4")
    monkeypatch.setitem(app.extensions, "listify_redis", Redis())  # never used: work() is stubbed
    worker.run_worker(["default"], burst=True)
    assert started == []


def test_clean_up_jobs_call_their_service_and_return_the_count(make_user):
    user = make_user()
    db.session.add_all([
        RevokedAccessToken(jti="old", expires_at=PAST),
        RefreshToken(user_id=user.id, family_id="f", token_hash="h" * 64, jwt_version=1, expires_at=PAST),
        PasswordResetToken(user_id=user.id, token_hash="r" * 64, expires_at=PAST),
    ])
    db.session.commit()
    assert cleanup_jobs.purge_revoked_access_tokens() == 1
    assert cleanup_jobs.purge_refresh_tokens() == 1
    assert cleanup_jobs.purge_password_reset_tokens() == 1
    assert cleanup_jobs.purge_expired_exports() == 0
    assert cleanup_jobs.purge_idempotency_keys() == 0


# --- with Redis -----------------------------------------------------------------------------


@pytest.fixture
def redis_client(app_config):
    client = Redis.from_url(app_config.REDIS_URL)
    yield client
    client.close()


def queued_functions(redis_client):
    return sorted(job.func_name for job in Queue("default", connection=redis_client).get_jobs())


@pytest.mark.redis
def test_only_the_scheduler_holding_the_lease_enqueues(redis_client):
    first, second = schedule.build_scheduler(redis_client), schedule.build_scheduler(redis_client)
    first.register_birth()
    every = len(schedule.PERIODIC_JOBS)
    assert len(first.enqueue_jobs()) == every
    assert second.enqueue_jobs() == []
    assert len(queued_functions(redis_client)) == every  # not twice as many
    first.register_death()  # a stopping leader hands over at once
    assert len(second.enqueue_jobs()) == every


@pytest.mark.redis
def test_leader_keeps_its_lease_across_loops(redis_client):
    leader, standby = schedule.build_scheduler(redis_client), schedule.build_scheduler(redis_client)
    assert leader.is_leader() and leader.is_leader()
    assert not standby.is_leader()
    assert 0 < redis_client.ttl(schedule.LEADER_LOCK) <= schedule.LEASE_SECONDS


@pytest.mark.redis
def test_scheduler_process_registers_with_rq_and_enqueues_the_clean_ups(app_config, redis_client):
    process = worker.start_scheduler_process(app_config.REDIS_URL, "WARNING")
    try:
        deadline = time.monotonic() + 30
        while len(queued_functions(redis_client)) < len(schedule.PERIODIC_JOBS) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [s.pid for s in CronScheduler.all(redis_client)] == [process.pid]
        assert queued_functions(redis_client) == sorted(
            f"app.jobs.cleanup.{func.__name__}" for func, _ in schedule.PERIODIC_JOBS
        )
    finally:
        worker.stop_scheduler_process(process)
    assert process.exitcode == 0  # stopped cleanly on SIGTERM
    assert CronScheduler.all(redis_client) == []
    assert redis_client.get(schedule.LEADER_LOCK) is None


@pytest.mark.redis
def test_worker_runs_the_scheduled_clean_ups(app, app_config, redis_client, make_user):
    user = make_user()
    db.session.add_all([
        RevokedAccessToken(jti="expired", expires_at=PAST),
        RevokedAccessToken(jti="valid", expires_at=utcnow() + timedelta(hours=1)),
        RefreshToken(user_id=user.id, family_id="f", token_hash="h" * 64, jwt_version=1, expires_at=PAST),
    ])
    db.session.commit()
    schedule.build_scheduler(redis_client).enqueue_jobs()
    env = {**os.environ, "LISTIFY_ENV": "development", "DATABASE_URL": app_config.SQLALCHEMY_DATABASE_URI,
           "REDIS_URL": app_config.REDIS_URL, "STORAGE_LOCAL_ROOT": app.config["STORAGE_LOCAL_ROOT"]}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    db.session.remove()
    assert list(db.session.scalars(select(RevokedAccessToken.jti))) == ["valid"]
    assert list(db.session.scalars(select(RefreshToken.id))) == []
    assert queued_functions(redis_client) == []
