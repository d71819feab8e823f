from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db
from app.models.base import UTCDateTime


PENDING_SQL = "status IN ('queued', 'started')"


class Export(db.Model):
    """A user's data export; the file lives in storage until expires_at."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4 hex, also the RQ job id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|started|finished|failed
    storage_key: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_exports_expires", "expires_at"),  # clean-up job
        # At most one queued or started export per user: a request while one is under way gets that one.
        Index("uq_exports_user_pending", "user_id", unique=True,
              sqlite_where=text(PENDING_SQL), postgresql_where=text(PENDING_SQL)),
    )
