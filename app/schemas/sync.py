"""Deezer sync requests and sync-job status."""
from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates, validates_schema

from app.schemas.common import Id, JsonBoolean

SOURCES = ("query", "artist_id", "album_id", "playlist_id", "chart")


class SyncRequestSchema(Schema):
    class Meta:
        # Exactly one source (exactly_one_source below), said in the document as well.
        json_schema = {"oneOf": [{"required": [name]} for name in SOURCES]}

    query = fields.String(validate=validate.Length(min=1, max=300),
                          metadata={"description": "A Deezer search; its results in Deezer's order.",
                                    "pattern": r"\S"})  # not blank (query_not_blank), in the document
    artist_id = Id(metadata={"description": "A Deezer artist id: its top tracks, then the tracks of its albums."})
    album_id = Id(metadata={"description": "A Deezer album id: its tracks."})
    playlist_id = Id(metadata={"description": "A Deezer playlist id: its tracks."})
    chart = JsonBoolean(validate=validate.Equal(True, error="Must be true."),
                           metadata={"description": "true: the tracks of Deezer's chart."})
    limit = fields.Integer(strict=True, load_default=100, validate=validate.Range(min=1, max=10000),
                           metadata={"description": "The most tracks to ingest, read from the source in order."})

    @validates("query")
    def query_not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("Must not be blank.")

    @validates_schema
    def exactly_one_source(self, data, **kwargs):
        given = [name for name in SOURCES if name in data]
        if len(given) != 1:
            raise ValidationError(
                "Give exactly one source: query, artist_id, album_id, playlist_id or chart"
                + (f" (got {', '.join(given)})." if given else ".")
            )


class SyncStartedSchema(Schema):
    job_id = fields.String(required=True)
    status_url = fields.String(required=True, metadata={"description": "Where to follow the job's progress."})


class SyncProgressSchema(Schema):
    pages = fields.Integer(metadata={"description": "Deezer pages fetched."})
    tracks_seen = fields.Integer(metadata={"description": "Tracks read from the source."})
    created = fields.Integer(metadata={"description": "Songs inserted."})
    updated = fields.Integer(metadata={"description": "Existing songs whose values changed."})


class SyncJobSchema(Schema):
    job_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["queued", "started", "finished", "failed"]})
    progress = fields.Nested(SyncProgressSchema, required=True)
    error = fields.String(allow_none=True)
    enqueued_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)

    @pre_dump
    def from_row(self, job, **kwargs):
        return {
            "job_id": job.id, "status": job.status, "error": job.error,
            "progress": {"pages": job.pages, "tracks_seen": job.tracks_seen,
                         "created": job.created, "updated": job.updated},
            "enqueued_at": job.enqueued_at, "started_at": job.started_at, "ended_at": job.ended_at,
        }
