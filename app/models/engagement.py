from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import BigId, UTCDateTime


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    song_id: Mapped[int] = mapped_column(ForeignKey("songs.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    review_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User", lazy="raise")
    song = relationship("Song", lazy="raise")

    __table_args__ = (
        UniqueConstraint("user_id", "song_id"),  # one review per user and song
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # A song's reviews, newest first.
        Index("ix_reviews_song_created", "song_id", "created_at", "id"),
    )


class Like(db.Model):
    """A like of a review or of a song: exactly one of the two targets is set."""

    __tablename__ = "likes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    likeable_type: Mapped[str] = mapped_column(String(16))  # Review | Song
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    song_id: Mapped[int | None] = mapped_column(ForeignKey("songs.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "review_id"),
        UniqueConstraint("user_id", "song_id"),
        CheckConstraint(
            "(likeable_type = 'Review' AND review_id IS NOT NULL AND song_id IS NULL)"
            " OR (likeable_type = 'Song' AND song_id IS NOT NULL AND review_id IS NULL)",
            name="one_target",
        ),
    )

    @property
    def likeable_id(self):
        return self.review_id if self.likeable_type == "Review" else self.song_id


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", lazy="raise")

    __table_args__ = (
        # A review's comments, oldest first.
        Index("ix_comments_review_created", "review_id", "created_at", "id"),
    )
