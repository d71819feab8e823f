"""The API index (GET /)."""
from marshmallow import Schema, fields


class IndexSchema(Schema):
    name = fields.String(metadata={"example": "Listify API"})
    docs = fields.Url(metadata={"description": "Absolute URL of the interactive documentation."})
    openapi = fields.Url(metadata={"description": "Absolute URL of this OpenAPI document."})
    versions = fields.List(fields.Url(), metadata={
        "description": "Base URL of each API version, oldest first: the prefix of its operations' paths (not an "
                       "operation itself).",
    })
