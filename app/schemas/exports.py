from marshmallow import Schema, fields


class ExportCreatedSchema(Schema):
    export_id = fields.String(required=True)
    status_url = fields.String(required=True, metadata={"description": "Where to poll the export's status."})


class ExportSchema(Schema):
    export_id = fields.String(required=True, attribute="id")
    status = fields.String(
        required=True, metadata={"description": "`queued`, `started`, `finished` or `failed`."}
    )
    download_url = fields.String(
        required=True, allow_none=True,
        metadata={"description": "Time-limited URL of the JSON document; null until the export has finished."},
    )
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(
        required=True, allow_none=True,
        metadata={"description": "When the file is deleted (7 days after it was written); null until then."},
    )
    error = fields.String(required=True, allow_none=True, metadata={"description": "Why a failed export failed."})
