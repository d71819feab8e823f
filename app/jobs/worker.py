"""The RQ worker process: the app is built once; each job runs inside its app context."""
import logging

from flask import current_app
from rq import Worker

from app.extensions import db
from app.jobs import get_queue, redis_connection

log = logging.getLogger(__name__)


class AppWorker(Worker):
    """Runs every job (in the forked work horse) inside the app context and cleans the session after."""

    def perform_job(self, job, queue, *args, **kwargs):  # rq 3 also passes the execution
        app = current_app._get_current_object()
        with app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def run_worker(queue_names: list[str], burst: bool = False) -> None:
    # The work horses are forked: they must not share the parent's database connections.
    db.engine.dispose()
    queues = [get_queue(name) for name in queue_names]
    worker = AppWorker(queues, connection=redis_connection())
    log.info("Worker listening on %s", ", ".join(queue_names))
    worker.work(burst=burst, with_scheduler=True, logging_level=current_app.config["LOG_LEVEL"])
