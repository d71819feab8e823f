"""Periodic clean-ups of rows (and files) nobody can use any more.

Each function deletes what had expired at `now` (default: the current time), commits, and
returns how many rows it deleted. They are idempotent: running one twice, or from two workers at
once, deletes nothing more the second time.
"""
import logging
from datetime import datetime

from sqlalchemy import delete, or_, select

from app.extensions import db
from app.models import Export, PasswordResetRequest, PasswordResetToken, RefreshToken, RevokedAccessToken, utcnow
from app.services.auth import RESET_MAIL_WINDOW
from app.services import idempotency
from app.services.media import get_storage

log = logging.getLogger(__name__)

EXPORT_BATCH_SIZE = 200


def purge_refresh_tokens(now: datetime | None = None) -> int:
    """Refresh tokens past their expiry, revoked or not.

    A revoked (rotated) token is kept until then, because presenting it again is how reuse of a
    stolen token is detected; once expired it is refused anyway.
    """
    return _delete(delete(RefreshToken).where(RefreshToken.expires_at <= (now or utcnow())))


def purge_revoked_access_tokens(now: datetime | None = None) -> int:
    """Denylist entries of access tokens that have expired on their own by now."""
    return _delete(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= (now or utcnow())))


def purge_password_reset_tokens(now: datetime | None = None) -> int:
    """Reset tokens that can no longer be used (expired or already used or voided), and the records of reset
    requests older than the per-email mail limit's window (they count for nothing any more)."""
    now = now or utcnow()
    requests = _delete(delete(PasswordResetRequest).where(PasswordResetRequest.created_at <= now - RESET_MAIL_WINDOW))
    return requests + _delete(
        delete(PasswordResetToken).where(
            or_(PasswordResetToken.expires_at <= now, PasswordResetToken.used_at.is_not(None))
        )
    )


def purge_expired_exports(now: datetime | None = None) -> int:
    """Expired exports: the file first, then the row (a file already gone is fine).

    When storage fails (unreachable), the run stops and the rows whose files were not deleted stay
    for the next run: no file is ever left without the row that points at it.
    """
    now = now or utcnow()
    storage = get_storage()
    deleted = 0
    while True:
        batch = db.session.execute(
            select(Export.id, Export.storage_key)
            .where(Export.expires_at <= now)
            .order_by(Export.expires_at, Export.id)
            .limit(EXPORT_BATCH_SIZE)
        ).all()
        gone, storage_failed = [], False
        for export_id, key in batch:
            try:
                if key:
                    storage.delete(key)
            except Exception:
                log.exception("Could not delete the file %s of expired export %s; next run retries", key, export_id)
                storage_failed = True
                break
            gone.append(export_id)
        if gone:
            deleted += _delete(delete(Export).where(Export.id.in_(gone)))
        else:
            db.session.rollback()
        if storage_failed or len(batch) < EXPORT_BATCH_SIZE:
            return deleted


def _delete(stmt) -> int:
    count = db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count


def purge_idempotency_keys(now: datetime | None = None) -> int:
    """Idempotency keys past their 24 hours."""
    return idempotency.purge_expired(now)
