from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import BigId, UTCDateTime


class Collection(db.Model):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # 1 when created, +1 in the first statement of every change to the collection or its items: the validator
    # of its reads and what If-Match is checked against, atomically (app/services/collections.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User", lazy="raise")
    items = relationship(
        "CollectionItem", lazy="raise", order_by="CollectionItem.position", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        # A user's collections, newest first.
        Index("ix_collections_user_created", "user_id", "created_at", "id"),
    )


class CollectionItem(db.Model):
    """A song's place in a collection; positions run 1..n without gaps."""

    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    song_id: Mapped[int] = mapped_column(ForeignKey("songs.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    song = relationship("Song", lazy="raise")

    __table_args__ = (
        CheckConstraint("position >= 1", name="position_positive"),
        Index("ix_collection_items_position", "collection_id", "position"),
    )
