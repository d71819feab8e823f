from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import BigId, UTCDateTime


class Follow(db.Model):
    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followed_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The pair is unique: concurrent follows insert-or-ignore against it.
        UniqueConstraint("follower_id", "followed_id"),
        CheckConstraint("follower_id <> followed_id", name="not_self"),
        # "following" lists and the feed's followee lookup.
        Index("ix_follows_follower_created", "follower_id", "created_at", "id"),
        # "followers" lists.
        Index("ix_follows_followed_created", "followed_id", "created_at", "id"),
    )


class Activity(db.Model):
    """Something a user did, shown in feeds.

    The row points at the record that caused it (follow, review, like, comment, collection)
    through a nullable foreign key with ON DELETE CASCADE, so deleting the record, or
    anything it hangs off, removes the activity: no feed item is ever broken.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action_type: Mapped[str] = mapped_column(String(32))
    # False for activities about private things (a private collection): only the actor sees them.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    follow_id: Mapped[int | None] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    like_id: Mapped[int | None] = mapped_column(ForeignKey("likes.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )

    actor = relationship("User", lazy="raise")

    __table_args__ = (
        # Following feed: newest activities of one followee (a per-followee top-N).
        Index("ix_activities_actor_created", "actor_id", "created_at", "id"),
        # Explore feed: everyone's newest first. The following feed's bounded scan reads actor_id and public from
        # the index itself (PostgreSQL's INCLUDE), so the rows it skips never touch the table.
        Index("ix_activities_created", "created_at", "id", postgresql_include=["actor_id", "public"]),
    )


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))  # followed | liked | commented
    notifiable_type: Mapped[str] = mapped_column(String(32))
    notifiable_id: Mapped[int] = mapped_column(BigId)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The record behind the notification; deleting it deletes the notification.
    follow_id: Mapped[int | None] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"), index=True)
    like_id: Mapped[int | None] = mapped_column(ForeignKey("likes.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)

    actor = relationship("User", foreign_keys=[actor_id], lazy="raise")

    __table_args__ = (
        # A user's notifications, newest first.
        Index("ix_notifications_recipient_created", "recipient_id", "created_at", "id"),
    )
