from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import BigId, UTCDateTime


class CatalogueVersion(db.Model):
    """One row (id 1): bumped in the transaction of every write to songs, artists or albums (each ingested
    page), so catalogue reads have a validator without running their query. No row yet means version 0."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Artist(db.Model):
    __tablename__ = "artists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deezer_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    picture_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    albums = relationship("Album", back_populates="artist", lazy="raise", order_by="Album.id")

    __table_args__ = (
        # Artist search (`q`, a case-insensitive substring): trigram index, PostgreSQL only.
        Index(
            "ix_artists_name_trgm", func.lower(name).label("name_lower"),
            postgresql_using="gin", postgresql_ops={"name_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class Album(db.Model):
    __tablename__ = "albums"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deezer_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    cover_url: Mapped[str | None] = mapped_column(String(500))
    release_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    artist = relationship("Artist", back_populates="albums", lazy="raise")
    songs = relationship(
        "Song", back_populates="album", lazy="raise", order_by="(Song.disk_number, Song.track_position, Song.id)"
    )


class Song(db.Model):
    """A song belongs to an album and has its artist through it; artist_name is kept for display."""

    __tablename__ = "songs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deezer_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    artist_name: Mapped[str] = mapped_column(String(300))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    preview_url: Mapped[str | None] = mapped_column(String(500))
    # Not unique: one recording (ISRC) can be several Deezer tracks, on several albums.
    isrc: Mapped[str | None] = mapped_column(String(12), index=True)
    explicit: Mapped[bool | None] = mapped_column(Boolean)
    track_position: Mapped[int | None] = mapped_column(Integer)
    disk_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    album = relationship("Album", back_populates="songs", lazy="raise")

    __table_args__ = (
        # Song search (`q` matches a case-insensitive substring of the title or artist name): trigram
        # indexes, combined by a BitmapOr on PostgreSQL.
        Index(
            "ix_songs_title_trgm", func.lower(title).label("title_lower"),
            postgresql_using="gin", postgresql_ops={"title_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_songs_artist_name_trgm", func.lower(artist_name).label("artist_name_lower"),
            postgresql_using="gin", postgresql_ops={"artist_name_lower": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class SyncJob(db.Model):
    """One Deezer ingestion, keyed by its RQ job id; outlives Redis' result TTLs."""

    __tablename__ = "sync_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_value: Mapped[str | None] = mapped_column(String(300))
    track_limit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    tracks_seen: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1000))
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sync_jobs_enqueued", "enqueued_at"),)
