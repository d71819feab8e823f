"""Collections: ordered, public or private lists of songs."""
from marshmallow import Schema, fields, pre_dump, validate

from app.models import MAX_ID
from app.schemas.catalogue import QueryId, SongSchema
from app.schemas.common import Id, JsonBoolean

TITLE = validate.Length(min=1, max=200)
DESCRIPTION = validate.Length(max=5000)
POSITION = validate.Range(min=1, max=MAX_ID)


class CollectionCreateSchema(Schema):
    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=DESCRIPTION)
    public = JsonBoolean(load_default=True, metadata={"description": "Default true."})


class CollectionUpdateSchema(Schema):
    title = fields.String(validate=TITLE)
    description = fields.String(validate=DESCRIPTION)
    public = JsonBoolean()


class CollectionListArgsSchema(Schema):
    user_id = QueryId(metadata={"description": "List this user's public collections instead of your own."})


class CollectionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    public = fields.Boolean()
    version = fields.Integer(metadata={"description": "1 when created, +1 on every change to the collection or "
                                                      "its items."})
    user_id = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    item_count = fields.Integer()


class CollectionEntrySchema(Schema):
    """A song's place in a collection, dumped from a song row that carries its `position`."""

    position = fields.Integer()
    song = fields.Nested(SongSchema)

    @pre_dump
    def from_row(self, row, **kwargs):
        return {"position": row.position, "song": row}


class CollectionDetailSchema(CollectionSchema):
    items = fields.List(fields.Nested(CollectionEntrySchema), attribute="entries",
                        metadata={"description": "In position order."})


class ItemCreateSchema(Schema):
    song_id = Id(required=True)
    position = fields.Integer(
        strict=True, validate=POSITION,
        metadata={"description": "1-based; default (or beyond the end): the end. Songs from there move down."},
    )


class ItemMoveSchema(Schema):
    position = fields.Integer(
        strict=True, required=True, validate=POSITION,
        metadata={"description": "1-based; beyond the end means the last place."},
    )


class ItemSchema(Schema):
    collection_id = fields.Integer()
    song_id = fields.Integer()
    position = fields.Integer()
