"""Ingestion jobs (queue `ingest`)."""
import logging

from flask import has_app_context
from rq import get_current_job

from app.errors import NotFound
from app.services.deezer import DeezerPermanentError
from app.services.ingestion import deezer_client
from app.services.sync_jobs import mark_interrupted, run_sync_job

log = logging.getLogger(__name__)


def run_sync(job_id: str) -> None:
    """Run the sync job `job_id`; a transient failure is raised so that RQ retries it (the rerun is idempotent)."""
    rq_job = get_current_job()
    will_retry = bool(rq_job is not None and rq_job.should_retry)
    with deezer_client() as client:
        try:
            run_sync_job(job_id, client, will_retry=will_retry)
        except DeezerPermanentError as exc:
            # Retrying cannot help: the row says failed and why; RQ has nothing more to do.
            log.warning("Sync job %s failed for good: %s", job_id, exc)
        except NotFound:
            log.warning("Sync job %s has no row (deleted?); nothing to run", job_id)


def sync_interrupted(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback of sync jobs. A run that raised has recorded its outcome itself; this one matters
    when the run died with its process (RQ then calls it with AbandonedJobError), so the row does not say
    `started` forever: queued again if RQ retries the job, else failed."""
    if not has_app_context():
        log.warning("Sync job %s failed (%s) where no app context exists; its row is not updated", job.id, exc_type)
        return
    if mark_interrupted(job.id, will_retry=bool(job.retries_left)):
        log.warning("Sync job %s was interrupted (%s)", job.id, exc_type.__name__ if exc_type else "unknown")
