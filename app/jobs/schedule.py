"""Periodic jobs, enqueued by RQ's own cron scheduler (`rq.cron.CronScheduler`).

`flask --app wsgi worker` starts the scheduler in a child process (see `app.jobs.worker`); the
jobs it enqueues run in the workers like any other job. The schedule:

| job                                           | every  |
|-----------------------------------------------|--------|
| `app.jobs.cleanup.purge_revoked_access_tokens` | 15 min |
| `app.jobs.cleanup.purge_refresh_tokens`        | 1 hour |
| `app.jobs.cleanup.purge_password_reset_tokens` | 1 hour |
| `app.jobs.cleanup.purge_expired_exports`       | 1 hour |

Interval jobs run once when the scheduler starts, then at their interval.

Several workers: every worker process starts a scheduler, but only the one holding a Redis lease
(`LEADER_LOCK`, renewed on each of its loops) enqueues; the others stand by and take over within
`LEASE_SECONDS` if it dies. The clean-ups are idempotent anyway, so a rare double run (a lease
changing hands) only deletes nothing the second time.
"""
import logging

from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock
from rq.cron import CronJob, CronScheduler

from app.jobs import cleanup
from app.queue import QUEUES

log = logging.getLogger(__name__)

PERIODIC_JOBS = [
    (cleanup.purge_revoked_access_tokens, 15 * 60),
    (cleanup.purge_refresh_tokens, 3600),
    (cleanup.purge_password_reset_tokens, 3600),
    (cleanup.purge_expired_exports, 3600),
    (cleanup.purge_idempotency_keys, 3600),
]

LEADER_LOCK = "listify:cron:leader"
# CronScheduler wakes up at least once a minute, so the leader renews well within this.
LEASE_SECONDS = 150


def register_periodic_jobs(scheduler: CronScheduler) -> list[CronJob]:
    """Register every periodic job on the `default` queue; returns what was registered."""
    return [
        scheduler.register(
            func, "default", interval=interval,
            job_timeout=QUEUES["default"]["job_timeout"], failure_ttl=QUEUES["default"]["failure_ttl"],
            # A run that has not started within one interval is superseded by the next one.
            ttl=interval,
        )
        for func, interval in PERIODIC_JOBS
    ]


class LeaderCronScheduler(CronScheduler):
    """A CronScheduler that enqueues only while it holds the leader lease in Redis."""

    def __init__(self, connection: Redis, **kwargs):
        super().__init__(connection, **kwargs)
        self._lease = Lock(connection, LEADER_LOCK, timeout=LEASE_SECONDS, blocking=False, thread_local=False)

    def is_leader(self) -> bool:
        """Renew the lease if we hold it, else try to take it."""
        try:
            if self._lease.owned():
                return bool(self._lease.reacquire())
        except LockError:  # it expired and another scheduler took it in between
            pass
        return bool(self._lease.acquire(blocking=False))

    def enqueue_jobs(self) -> list[CronJob]:
        if not self.is_leader():
            return []
        return super().enqueue_jobs()

    def register_death(self, pipeline=None) -> None:
        try:
            if self._lease.owned():
                self._lease.release()  # a standby takes over at once instead of after the lease
        except LockError:
            pass
        super().register_death(pipeline)


def build_scheduler(connection: Redis, logging_level: str | int = logging.INFO) -> LeaderCronScheduler:
    scheduler = LeaderCronScheduler(connection, logging_level=logging_level)
    register_periodic_jobs(scheduler)
    return scheduler


def run_scheduler(redis_url: str, logging_level: str | int = logging.INFO) -> None:
    """The scheduler process' entry point: its own Redis connection, then RQ's loop until SIGTERM."""
    build_scheduler(Redis.from_url(redis_url), logging_level).start()
