"""Periodic clean-ups: each deletes exactly what had expired at `now`, and nothing else."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Export, PasswordResetRequest, PasswordResetToken, RefreshToken, RevokedAccessToken
from app.services import cleanup

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
PAST, FUTURE = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)


@pytest.fixture
def user(make_user):
    return make_user()


def refresh_token(user, name, expires_at, revoked=False):
    return RefreshToken(
        user_id=user.id, family_id="f" * 32, token_hash=name.ljust(64, "0"), jwt_version=1,
        expires_at=expires_at, revoked_at=NOW - timedelta(days=1) if revoked else None,
        revoked_reason="rotated" if revoked else None,
    )


def remaining(column):
    db.session.expire_all()
    return sorted(db.session.scalars(select(column)))


def test_purge_refresh_tokens_deletes_expired_ones_revoked_or_not(user):
    db.session.add_all([
        refresh_token(user, "expired", PAST), refresh_token(user, "expired-revoked", PAST, revoked=True),
        refresh_token(user, "live", FUTURE), refresh_token(user, "live-revoked", FUTURE, revoked=True),
        refresh_token(user, "expires-now", NOW),
    ])
    db.session.commit()
    assert cleanup.purge_refresh_tokens(NOW) == 3
    assert sorted(h.rstrip("0") for h in remaining(RefreshToken.token_hash)) == ["live", "live-revoked"]


def test_purge_revoked_access_tokens_deletes_entries_past_the_tokens_expiry():
    db.session.add_all([
        RevokedAccessToken(jti="old", expires_at=PAST), RevokedAccessToken(jti="now", expires_at=NOW),
        RevokedAccessToken(jti="still-valid", expires_at=FUTURE),
    ])
    db.session.commit()
    assert cleanup.purge_revoked_access_tokens(NOW) == 2
    assert remaining(RevokedAccessToken.jti) == ["still-valid"]


def test_purge_password_reset_tokens_deletes_expired_and_used_ones(user, make_user):
    db.session.add_all([
        PasswordResetToken(user_id=make_user().id, token_hash="expired".ljust(64, "0"), expires_at=PAST),
        PasswordResetToken(user_id=user.id, token_hash="used".ljust(64, "0"), expires_at=FUTURE, used_at=PAST),
        PasswordResetToken(user_id=user.id, token_hash="usable".ljust(64, "0"), expires_at=FUTURE),
    ])
    db.session.commit()
    assert cleanup.purge_password_reset_tokens(NOW) == 2
    assert [h.rstrip("0") for h in remaining(PasswordResetToken.token_hash)] == ["usable"]


def test_purge_password_reset_tokens_also_deletes_requests_older_than_the_mail_limit_window():
    """A reset request counts against its email's mail limit for an hour; after that its record is of no use."""
    db.session.add_all([
        PasswordResetRequest(email_digest=name.ljust(64, "0"), mailed=True, created_at=NOW - age)
        for name, age in [("old", timedelta(hours=1)), ("older", timedelta(days=1)),
                          ("recent", timedelta(minutes=59, seconds=59))]
    ])
    db.session.commit()
    assert cleanup.purge_password_reset_tokens(NOW) == 2
    assert [d.rstrip("0") for d in remaining(PasswordResetRequest.email_digest)] == ["recent"]


def export(user, name, expires_at, key=None, status="finished"):
    return Export(id=name.ljust(32, "0"), user_id=user.id, status=status, storage_key=key, expires_at=expires_at)


def test_purge_expired_exports_deletes_their_files_then_rows(user, storage_backend):
    storage = storage_backend.storage
    for key in ("exports/old.json", "exports/fresh.json"):
        storage.save(key, io.BytesIO(b"{}"), "application/json")
    db.session.add_all([
        export(user, "old", PAST, "exports/old.json"),
        export(user, "fresh", FUTURE, "exports/fresh.json"),
        export(user, "failed", PAST, status="failed"),  # never had a file
        export(user, "running", None, status="started"),
    ])
    db.session.commit()
    assert cleanup.purge_expired_exports(NOW) == 2
    assert [i.rstrip("0") for i in remaining(Export.id)] == ["fresh", "running"]
    assert storage_backend.keys("exports") == ["exports/fresh.json"]


def test_purge_expired_exports_is_fine_when_the_file_is_already_gone(user, local_backend):
    db.session.add(export(user, "old", PAST, "exports/vanished.json"))
    db.session.commit()
    assert cleanup.purge_expired_exports(NOW) == 1
    assert remaining(Export.id) == []


def test_purge_expired_exports_keeps_rows_whose_files_could_not_be_deleted(user, local_backend, monkeypatch):
    local_backend.storage.save("exports/old.json", io.BytesIO(b"{}"), "application/json")
    db.session.add(export(user, "old", PAST, "exports/old.json"))
    db.session.commit()

    def storage_down(key):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(local_backend.storage, "delete", storage_down)
    assert cleanup.purge_expired_exports(NOW) == 0
    assert [i.rstrip("0") for i in remaining(Export.id)] == ["old"]  # the next run retries


def test_purge_expired_exports_works_through_more_than_one_batch(user, local_backend, monkeypatch):
    monkeypatch.setattr(cleanup, "EXPORT_BATCH_SIZE", 2)
    db.session.add_all([export(user, f"old{n}", PAST - timedelta(minutes=n)) for n in range(5)])
    db.session.add(export(user, "fresh", FUTURE))
    db.session.commit()
    assert cleanup.purge_expired_exports(NOW) == 5
    assert [i.rstrip("0") for i in remaining(Export.id)] == ["fresh"]


@pytest.mark.parametrize(
    "purge",
    [cleanup.purge_refresh_tokens, cleanup.purge_revoked_access_tokens, cleanup.purge_password_reset_tokens,
     cleanup.purge_expired_exports],
)
def test_clean_ups_are_idempotent(user, local_backend, purge):
    db.session.add_all([
        refresh_token(user, "expired", PAST), RevokedAccessToken(jti="old", expires_at=PAST),
        PasswordResetToken(user_id=user.id, token_hash="e".ljust(64, "0"), expires_at=PAST),
        export(user, "old", PAST),
    ])
    db.session.commit()
    assert purge(NOW) == 1
    assert purge(NOW) == 0


def test_default_now_is_the_current_time(user):
    db.session.add(RevokedAccessToken(jti="long-expired", expires_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
    db.session.add(RevokedAccessToken(jti="far-future", expires_at=datetime(2999, 1, 1, tzinfo=timezone.utc)))
    db.session.commit()
    assert cleanup.purge_revoked_access_tokens() == 1
    assert remaining(RevokedAccessToken.jti) == ["far-future"]
