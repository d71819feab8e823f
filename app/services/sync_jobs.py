"""Sync jobs: starting a Deezer ingestion, running it page by page with live progress, reading its status.

A sync job's row (keyed by its RQ job id) is the record users watch: `queued` when accepted, `started` while
pages are written, then `finished` or `failed`. Every page is stored and counted in one transaction, so the
counts always describe what is in the database, and a failure never leaves half a page behind.
"""
from __future__ import annotations

import logging
import uuid
from typing import Callable

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import update

from app.errors import NotFound, ServiceUnavailable
from app.extensions import db
from app.models import SyncJob, utcnow
from app.queue import enqueue
from app.services.deezer import DeezerClient, DeezerError, DeezerPermanentError, DeezerSource, TrackPage
from app.services.ingestion import store_tracks

log = logging.getLogger(__name__)

ERROR_MAX = 1000
# RQ retries a job that failed transiently (Deezer unavailable, the database away) twice, later and later.
SYNC_RETRY = Retry(max=2, interval=[10, 60])


def source_from(*, query=None, artist_id=None, album_id=None, playlist_id=None, chart=False) -> DeezerSource:
    """The one Deezer source named by exactly one of the arguments (callers validate that first)."""
    if query is not None:
        return DeezerSource("query", query)
    for kind, value in (("artist", artist_id), ("album", album_id), ("playlist", playlist_id)):
        if value is not None:
            return DeezerSource(kind, value)
    if chart:
        return DeezerSource("chart")
    raise ValueError("no Deezer source given")


def create_sync_job(source: DeezerSource, limit: int, requested_by_id: int | None) -> SyncJob:
    job = SyncJob(
        id=uuid.uuid4().hex, requested_by_id=requested_by_id, source_kind=source.kind,
        source_value=None if source.value is None else str(source.value), track_limit=limit,
        status="queued", pages=0, tracks_seen=0, created=0, updated=0, enqueued_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    return job


def start_sync(source: DeezerSource, limit: int, requested_by_id: int | None) -> SyncJob:
    """Record a sync job and queue it on `ingest` (without Redis it runs right away, in this process)."""
    job = create_sync_job(source, limit, requested_by_id)
    job_id = job.id
    try:
        enqueue("ingest", "app.jobs.ingest.run_sync", job_id, job_id=job_id, retry=SYNC_RETRY,
                on_failure="app.jobs.ingest.sync_interrupted")
    except RedisError as exc:
        # The row must not wait forever for a job that was never queued.
        db.session.rollback()
        _finish(job_id, "failed", f"Could not queue the sync of {source.describe()}: the job queue is unavailable.")
        raise ServiceUnavailable("The job queue is unavailable. Retry later.") from exc
    return db.session.get(SyncJob, job_id)


def get_sync_job(job_id: str) -> SyncJob:
    job = db.session.get(SyncJob, job_id)
    if job is None:
        raise NotFound("No such sync job.")
    return job


def source_of(job: SyncJob) -> DeezerSource:
    value = job.source_value
    if job.source_kind in ("artist", "album", "playlist"):
        value = int(value)
    return DeezerSource(job.source_kind, value)


def run_sync_job(
    job_id: str,
    client: DeezerClient,
    *,
    will_retry: bool = False,
    on_page: Callable[[SyncJob, TrackPage], None] | None = None,
) -> SyncJob:
    """Ingest the job's source page by page, recording progress with each page; rerunning it is safe.

    On failure the job is marked failed (or, when `will_retry` and the error is not permanent, queued again
    with the error noted) and the exception is raised again for the caller to report or retry.
    A run starts its page counts afresh; `created` and `updated` add up over the runs of one job.
    Malformed Deezer items skipped, and a source given up on for sending no usable tracks, are noted in `error`
    (the contract's `progress` has no field for them), live and on a finished job too.
    """
    job = get_sync_job(job_id)
    source = source_of(job)
    job.status, job.started_at, job.ended_at, job.error = "started", utcnow(), None, None
    job.pages = job.tracks_seen = 0
    db.session.commit()
    note = None
    try:
        for page in client.iter_track_pages(source, job.track_limit):
            counts = store_tracks(page.tracks)
            job.pages = page.pages_fetched
            job.tracks_seen += len(page.tracks)
            job.created += counts.created
            job.updated += counts.updated
            note = job.error = page_note(page)
            db.session.commit()
            if on_page is not None:
                on_page(job, page)
    except Exception as exc:
        db.session.rollback()
        message = failure_message(source, exc)
        if note:
            message = f"{message}; {note}"[:ERROR_MAX]
        if will_retry and not isinstance(exc, DeezerPermanentError):
            _finish(job_id, "queued", f"{message} (will retry)", ended=False)
        else:
            _finish(job_id, "failed", message)
        raise
    job.status, job.ended_at = "finished", utcnow()
    db.session.commit()
    return job


def mark_interrupted(job_id: str, *, will_retry: bool) -> bool:
    """Record that a run stopped without recording its outcome (its worker was killed): the job is queued again
    when it will be retried, else failed. A job whose row already says how its run ended is left as it is."""
    job = db.session.get(SyncJob, job_id)
    if job is None or job.status != "started":
        db.session.rollback()
        return False
    message = f"Sync of {source_of(job).describe()} interrupted: its worker stopped before the job finished"
    status, ended_at = ("queued", None) if will_retry else ("failed", utcnow())
    changed = db.session.execute(
        update(SyncJob).where(SyncJob.id == job_id, SyncJob.status == "started")
        .values(status=status, ended_at=ended_at, error=(message + (" (will retry)" if will_retry else ""))[:ERROR_MAX])
    ).rowcount
    db.session.commit()
    return changed == 1


def page_note(page: TrackPage) -> str | None:
    """What the run skipped or gave up on so far, for the job's `error`; None when nothing was."""
    parts = []
    if page.items_skipped:
        parts.append(f"{page.items_skipped} malformed Deezer item{'' if page.items_skipped == 1 else 's'} skipped")
    if page.cut_short:
        parts.append(page.cut_short)
    return "; ".join(parts)[:ERROR_MAX] or None


def failure_message(source: DeezerSource, exc: Exception) -> str:
    if isinstance(exc, DeezerError):
        message = str(exc)  # names the source and Deezer's answer already
    else:
        cause = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else ""
        message = f"Sync of {source.describe()} failed: {type(exc).__name__}" + (f": {cause}" if cause else "")
    return message[:ERROR_MAX]


def _finish(job_id: str, status: str, error: str, *, ended: bool = True) -> None:
    try:
        job = db.session.get(SyncJob, job_id)
        if job is not None:
            job.status, job.error = status, error[:ERROR_MAX]
            job.ended_at = utcnow() if ended else None
            db.session.commit()
    except Exception:  # the database itself may be what failed; the original error is what gets raised
        db.session.rollback()
        log.exception("Could not record the outcome of sync job %s", job_id)
