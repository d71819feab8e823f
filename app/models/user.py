from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import BigId, UTCDateTime


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    username: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str] = mapped_column(Text, default="")
    profile_picture_key: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by logout_all, password change and reset: every token issued before stops working.
    jwt_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped in the statement of every change to what the profile shows (fields, picture, either follow count):
    # the validator of profile reads (app/services/validators.py).
    profile_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # Usernames are unique case-insensitively; the same index serves prefix search.
        Index("uq_users_username_lower", func.lower(username), unique=True),
    )

    def __repr__(self):
        return f"<User {self.id} {self.username}>"


class RefreshToken(db.Model):
    """An opaque refresh token, stored only as its SHA-256; one family per login."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    jwt_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # clean-up job
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # rotated | logout | reuse_detected: a rotated token presented again is reuse.
    revoked_reason: Mapped[str | None] = mapped_column(String(20))


class RevokedAccessToken(db.Model):
    """The access-token denylist, read by every authenticated request in the query that loads its user."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # clean-up job


class PasswordResetToken(db.Model):
    """A reset token, stored only as its SHA-256; `used_at` is set when it is used or voided (replaced by a newer
    one, or the password changed)."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # clean-up job
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # At most one live (unused) token per user: a new one is only inserted after the old ones are voided.
        Index("uq_password_reset_tokens_live", "user_id", unique=True,
              sqlite_where=text("used_at IS NULL"), postgresql_where=text("used_at IS NULL")),
    )


class PasswordResetRequest(db.Model):
    """One row per password-reset request, known email or not, mailed or not: the per-email mail limit counts
    them. The email is kept only as its SHA-256; rows older than the limit's window are purged."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64))
    mailed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # clean-up job

    __table_args__ = (
        Index("ix_password_reset_requests_email_created", "email_digest", "created_at"),  # the per-email count
    )
