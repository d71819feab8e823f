"""The RQ worker process: the app is built once; each job runs inside its app context.

Unless disabled (`--no-cron`, or `--burst`), the worker also starts RQ's cron scheduler for the
periodic jobs of `app.jobs.schedule` in a child process, and stops it when the worker stops.
"""
import logging
import multiprocessing

from flask import current_app
from rq import Worker
from rq.callbacks import execute_failure_callback
from rq.exceptions import AbandonedJobError

from app.extensions import db
from app.queue import get_queue, redis_connection

log = logging.getLogger(__name__)


class AppWorker(Worker):
    """Runs every job (in the forked work horse) inside the app context and cleans the session after."""

    def perform_job(self, job, queue, *args, **kwargs):  # rq 3 also passes the execution
        # The parent may hold pooled connections (a failure callback ran there): the horse opens its own.
        db.engine.dispose(close=False)
        with current_app.app_context():  # a fresh context (and session) per job
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        # RQ then retries or fails the job, but runs no failure callback (it does for a job abandoned by a dead
        # worker): run it here too, so the job's own record learns that its run died.
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        error = AbandonedJobError(f"work horse {retpid} died (wait status {ret_val})")
        try:
            execute_failure_callback(job, self.death_penalty_class, AbandonedJobError, error, None)
        except Exception:  # logged by RQ; the job's failure is still handled
            pass


def start_scheduler_process(redis_url: str, logging_level: str | int) -> multiprocessing.Process:
    """RQ's CronScheduler in a child process: its loop installs signal handlers, which only a
    main thread may do, and a process of its own keeps it beside (not inside) the job loop."""
    from app.jobs.schedule import run_scheduler

    process = multiprocessing.get_context("spawn").Process(
        target=run_scheduler, args=(redis_url, logging_level), name="listify-cron", daemon=True
    )
    process.start()
    return process


def stop_scheduler_process(process: multiprocessing.Process, timeout: float = 10) -> None:
    if process.is_alive():
        process.terminate()  # SIGTERM: the scheduler deregisters and gives up its lease
        process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()


def run_worker(queue_names: list[str], burst: bool = False, cron: bool = True) -> None:
    # The work horses are forked: they must not share the parent's database connections.
    db.engine.dispose()
    queues = [get_queue(name) for name in queue_names]
    worker = AppWorker(queues, connection=redis_connection())
    level = current_app.config["LOG_LEVEL"]
    scheduler = start_scheduler_process(current_app.config["REDIS_URL"], level) if cron and not burst else None
    log.info("Worker listening on %s%s", ", ".join(queue_names), " with periodic jobs" if scheduler else "")
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level=level)
    finally:
        if scheduler is not None:
            stop_scheduler_process(scheduler)
