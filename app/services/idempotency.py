"""Idempotency keys: a creating POST retried with the same `Idempotency-Key` is answered once, replayed after.

A request *claims* its user's key in a transaction of its own (one row, `status_code` NULL: in flight) before the
operation runs, so a repeat arriving meanwhile sees the claim (409) on any process. When the operation answers,
its response is *stored* in the row; if it fails, the claim is *released* (deleted), so a retry runs it again: the
operation's own transaction rolled back, nothing was created. Rows live 24 hours from the claim
(`IDEMPOTENCY_KEY_TTL`); the periodic clean-up deletes older ones, and an expired row counts as absent until then.

A claim still in flight after `IDEMPOTENCY_IN_FLIGHT_TIMEOUT` seconds belongs to a process that died between its
claim and its answer; a repeat takes it over and runs the operation. (A process dying exactly between the
operation's commit and storing its response would let that repeat run it twice: the window is one UPDATE.)
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from app.clock import utcnow
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import IdempotencyKey
from app.models.base import insert_or_ignore

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)  # fixed by the contract
DEFAULT_IN_FLIGHT_TIMEOUT = 60
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it runs the operation, then stores or releases."""

    user_id: int
    key: str
    request_hash: str
    claimed_at: datetime


def validate_key(key: str) -> str:
    """1 to 255 printable ASCII characters (space to tilde), else 422 naming the header."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= character <= "~" for character in key):
        raise InvalidInput(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.", field=HEADER
        )
    return key


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode("utf-8", "surrogateescape"), query, body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no two requests hash alike by shifting
        digest.update(part)
    return digest.hexdigest()


def claim(user_id: int, key: str, hashed: str, *, in_flight_timeout: float) -> Claim | StoredResponse:
    """Claim the key for this request, or return the response to replay; 422 for another request, 409 in flight."""
    for _ in range(3):  # a row released or taken over between our two statements: look again
        now = utcnow()
        inserted = insert_or_ignore(
            IdempotencyKey,
            {"user_id": user_id, "key": key, "request_hash": hashed, "created_at": now},
            returning=IdempotencyKey.user_id,
        )
        db.session.commit()
        if inserted is not None:
            return Claim(user_id, key, hashed, now)
        row = db.session.execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.created_at, IdempotencyKey.status_code,
                   IdempotencyKey.response_body, IdempotencyKey.response_headers)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        ).one_or_none()
        db.session.commit()
        if row is None:
            continue
        expired = row.created_at <= now - IDEMPOTENCY_KEY_TTL
        if not expired and row.request_hash != hashed:
            raise InvalidInput(
                f"This {HEADER} was used for another request.", field=HEADER, code="idempotency_key_reused"
            )
        if not expired and row.status_code is not None:
            return StoredResponse(row.status_code, row.response_body or b"", row.response_headers or {})
        if not expired and row.created_at > now - timedelta(seconds=in_flight_timeout):
            raise Conflict(f"A request with this {HEADER} is still being processed; retry later.")
        taken = _take_over(user_id, key, hashed, row.created_at, now)
        if taken is not None:
            return taken
    raise Conflict(f"A request with this {HEADER} is still being processed; retry later.")


def _take_over(user_id: int, key: str, hashed: str, seen_created_at: datetime, now: datetime) -> Claim | None:
    """Claim an expired row or an abandoned one, if nobody else did since we read it."""
    taken = db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
               IdempotencyKey.created_at == seen_created_at)
        .values(request_hash=hashed, created_at=now, status_code=None, response_body=None, response_headers=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return Claim(user_id, key, hashed, now) if taken == 1 else None


def store(held: Claim, response: StoredResponse) -> None:
    """Keep the operation's response for the key's repeats."""
    db.session.execute(
        _owned(update(IdempotencyKey), held)
        .values(status_code=response.status_code, response_body=response.body, response_headers=response.headers)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release(held: Claim) -> None:
    """The operation failed: forget the claim, so that a retry runs it again."""
    db.session.rollback()  # the operation's own work, if it left any, is not ours to keep
    db.session.execute(_owned(delete(IdempotencyKey), held).execution_options(synchronize_session=False))
    db.session.commit()


def _owned(statement, held: Claim):
    return statement.where(
        IdempotencyKey.user_id == held.user_id, IdempotencyKey.key == held.key,
        IdempotencyKey.created_at == held.claimed_at, IdempotencyKey.status_code.is_(None),
    )


def purge_expired(now: datetime | None = None) -> int:
    """Keys past their 24 hours (the periodic clean-up)."""
    count = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= (now or utcnow()) - IDEMPOTENCY_KEY_TTL)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count
