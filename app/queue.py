"""The job queue: the app's Redis connection, the RQ queues by workload, and `enqueue` by job name.

With REDIS_URL set, jobs go to RQ queues named by workload (`default`, `ingest`) and run in
`flask --app wsgi worker`. Without it, `enqueue` runs the job in-process right away through the
same call, so callers never know which mode they are in.

A job is named by its dotted path (`app.jobs.exports.run_export`), as RQ stores it anyway: services
queue jobs without importing them, so imports keep pointing down (jobs call services, not the reverse).
"""
import logging
import uuid

from flask import current_app
from redis import Redis
from rq import Callback, Queue, Retry
from werkzeug.utils import import_string

from app.extensions import db

log = logging.getLogger(__name__)

# Per-queue settings: how long one job may run, how long a failed one is kept for inspection.
QUEUES = {
    "default": {"job_timeout": 600, "failure_ttl": 7 * 24 * 3600},
    "ingest": {"job_timeout": 3600, "failure_ttl": 7 * 24 * 3600},
}


def redis_connection() -> Redis | None:
    """One client per app (it pools its connections); None when REDIS_URL is unset."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("listify_redis")
    if client is None:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        current_app.extensions["listify_redis"] = client
    return client


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_connection(), default_timeout=QUEUES[name]["job_timeout"])


def enqueue(queue_name: str, job_name: str, *args, job_id: str | None = None, retry: Retry | None = None,
            on_failure: str | None = None, **kwargs) -> str:
    """Queue the job `job_name(*args, **kwargs)` and return its id; call it only after the transaction that the job
    reads has committed.

    `on_failure` names RQ's failure callback, `(job, connection, exc_type, exc_value, traceback)`: it also runs when
    RQ finds the job abandoned by a worker that died (AbandonedJobError). In-process runs never need it.
    """
    job_id = job_id or uuid.uuid4().hex
    if redis_connection() is None:
        _run_inline(job_name, job_id, args, kwargs)
        return job_id
    get_queue(queue_name).enqueue_call(
        job_name, args=args, kwargs=kwargs, job_id=job_id, retry=retry,
        on_failure=Callback(on_failure) if on_failure else None,
        timeout=QUEUES[queue_name]["job_timeout"], failure_ttl=QUEUES[queue_name]["failure_ttl"],
    )
    return job_id


def _run_inline(job_name: str, job_id: str, args, kwargs) -> None:
    func = import_string(job_name)  # outside the try: a wrong name is a bug to raise, not a failed job
    try:
        func(*args, **kwargs)
    except Exception:  # a failed job is logged, as RQ would record it, not raised into the caller's request
        db.session.rollback()
        log.exception("In-process job %s (%s) failed", job_name, job_id)
