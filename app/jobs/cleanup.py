"""Periodic clean-up jobs (queue `default`), scheduled by `app.jobs.schedule`.

Each returns the number of rows it deleted (kept as the RQ job's result) and logs it.
"""
import logging

from app.services import cleanup

log = logging.getLogger(__name__)


def _run(name, purge) -> int:
    count = purge()
    log.info("Clean-up %s: %d deleted", name, count)
    return count


def purge_refresh_tokens() -> int:
    return _run("expired refresh tokens", cleanup.purge_refresh_tokens)


def purge_revoked_access_tokens() -> int:
    return _run("expired access-token denylist entries", cleanup.purge_revoked_access_tokens)


def purge_password_reset_tokens() -> int:
    return _run("expired or used password-reset tokens", cleanup.purge_password_reset_tokens)


def purge_expired_exports() -> int:
    return _run("expired exports", cleanup.purge_expired_exports)


def purge_idempotency_keys() -> int:
    return _run("expired idempotency keys", cleanup.purge_idempotency_keys)
