"""Deezer ingestion (v2, administrators only)."""
from flask import current_app, url_for

from app.blueprints.base import Blueprint
from app.blueprints.idempotency import idempotent
from app.blueprints.security import admin_required, current_user
from app.extensions import limiter
from app.schemas.sync import SyncJobSchema, SyncRequestSchema, SyncStartedSchema
from app.services import sync_jobs

blp = Blueprint("v2_sync", __name__, url_prefix="/api/v2", description="Deezer ingestion jobs (administrators).")


def sync_limit():
    return current_app.config["RATELIMIT_SYNC"]


def admin_key():
    # Checked inside admin_required, so the token is verified by now: each admin has a budget of their own.
    return f"user:{current_user.id}"


@blp.route("/songs/sync", methods=["POST"])
@admin_required(blp)
@idempotent(blp, 202)  # above the limit: a replay costs no sync of the admin's budget
@limiter.limit(sync_limit, key_func=admin_key, scope="sync")
@blp.arguments(SyncRequestSchema)
@blp.response(202, SyncStartedSchema)
@blp.alt_response(429, description="Too many syncs started by this administrator; retry later.")
@blp.alt_response(503, description="The job queue is unavailable.")
def start_sync(body):
    """Start a Deezer ingestion of one source: a search (`query`), an artist, an album, a playlist or the chart.

    Stores up to `limit` tracks with their artists and albums, keyed by Deezer ids (running it again changes
    nothing). Answers at once with the job's id; follow its progress at `status_url`.
    """
    limit = body.pop("limit")
    job = sync_jobs.start_sync(sync_jobs.source_from(**body), limit, current_user.id)
    return {"job_id": job.id, "status_url": url_for("v2_sync.sync_job_status", job_id=job.id)}


@blp.route("/sync_jobs/<string(maxlength=64):job_id>", methods=["GET"])
@admin_required(blp)
@blp.response(200, SyncJobSchema)
@blp.alt_response(404, description="No such sync job.")
def sync_job_status(job_id):
    """A sync job's status (`queued`, `started`, `finished`, `failed`), its live progress and its error if any."""
    return sync_jobs.get_sync_job(job_id)
