"""Background jobs, wired once.

With REDIS_URL set, jobs go to RQ queues named by workload (`default`, `ingest`) and run in
`flask --app wsgi worker`. Without it, `enqueue` runs the job in-process right away through the
same call, so callers never know which mode they are in.
"""
import logging
import uuid
from dataclasses import dataclass, field

from flask import current_app
from redis import Redis
from rq import Callback, Queue, Retry

log = logging.getLogger(__name__)

# Per-queue settings: how long one job may run, how long a failed one is kept for inspection.
QUEUES = {
    "default": {"job_timeout": 600, "failure_ttl": 7 * 24 * 3600},
    "ingest": {"job_timeout": 3600, "failure_ttl": 7 * 24 * 3600},
}


@dataclass
class InlineJob:
    """What `enqueue` returns without Redis: the id, and how the in-process run ended."""

    id: str
    func_name: str
    failed: bool = False
    exc_info: str | None = field(default=None, repr=False)


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


def enqueue(queue_name: str, func, *args, job_id: str | None = None, retry: Retry | None = None,
            on_failure=None, **kwargs):
    """Queue `func(*args, **kwargs)`; call it only after the transaction that the job reads has committed.

    `on_failure(job, connection, exc_type, exc_value, traceback)` is RQ's failure callback: it also runs when RQ
    finds the job abandoned by a worker that died (AbandonedJobError). In-process runs never need it.
    """
    job_id = job_id or uuid.uuid4().hex
    if redis_connection() is None:
        return _run_inline(func, job_id, args, kwargs)
    return get_queue(queue_name).enqueue_call(
        func, args=args, kwargs=kwargs, job_id=job_id, retry=retry,
        on_failure=Callback(on_failure) if on_failure else None,
        timeout=QUEUES[queue_name]["job_timeout"], failure_ttl=QUEUES[queue_name]["failure_ttl"],
    )


def _run_inline(func, job_id, args, kwargs):
    job = InlineJob(id=job_id, func_name=f"{func.__module__}.{func.__qualname__}")
    try:
        func(*args, **kwargs)
    except Exception:  # a failed job is recorded, as RQ would, not raised into the caller's request
        import traceback

        from app.extensions import db

        db.session.rollback()
        job.failed, job.exc_info = True, traceback.format_exc()
        log.exception("In-process job %s (%s) failed", job.func_name, job_id)
    return job
