"""Schemas shared by every resource: errors, ids, paging."""
from marshmallow import Schema, ValidationError, fields, post_load, validate

from app.models import MAX_ID
from app.pagination import InvalidCursor, Keyset, Paging


class ErrorItemSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable snake_case error code."})
    message = fields.String(required=True)
    field = fields.String(metadata={"description": "The field at fault, when one is."})


class ErrorSchema(Schema):
    """The one error shape of every response with a 4xx or 5xx status."""

    errors = fields.List(fields.Nested(ErrorItemSchema), required=True)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: `true` or `false` only. (marshmallow's Boolean also takes 0, 1, "yes",
    "on"..., the spellings a query string needs, which a JSON body never does.)"""

    def __init__(self, **kwargs):
        super().__init__(pre_load=self.refuse_other_types, **kwargs)

    def refuse_other_types(self, value):
        # A check on the raw value: 1 and 1.0 equal True, so a truthy set or a validator cannot tell them apart.
        if value is not None and not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def Id(**kwargs):
    """An integer id in the 64-bit signed range (out of range is a 422 in bodies and queries)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class PageArgsSchema(Schema):
    """The paging parameters of one list, decoded into an app.pagination.Paging: give the list's Keyset,
    `PageArgsSchema(catalogue.SONG_KEYSET)`. A cursor that this list did not issue is a 422 naming `cursor`."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(metadata={"description": "Opaque cursor from the previous page's next_cursor."})

    def __init__(self, keyset: Keyset, **kwargs):
        super().__init__(**kwargs)
        self.keyset = keyset

    @post_load
    def to_paging(self, data, **kwargs) -> Paging:
        if data.get("cursor"):
            try:
                return Paging(data["limit"], after=self.keyset.decode(data["cursor"]))
            except InvalidCursor:
                raise ValidationError("Invalid cursor.", field_name="cursor") from None
        if data.get("page"):
            per = data.get("per") or data["limit"]
            return Paging(per, offset=(data["page"] - 1) * per)
        return Paging(data["limit"])


class LegacyPageArgsSchema(PageArgsSchema):
    """v1 lists also take the legacy offset parameters (with `page`, `per` replaces `limit`; a cursor wins)."""

    page = fields.Integer(validate=validate.Range(min=1, max=100000), metadata={"description": "Legacy: page number."})
    per = fields.Integer(validate=validate.Range(min=1, max=100), metadata={"description": "Legacy: page size."})


_page_schemas = {}


def page_of(item_schema_class, name=None, **extra_fields):
    """The response schema of a list: {"items": [...], "next_cursor": ...} (made once per item schema)."""
    name = name or f"{item_schema_class.__name__.removesuffix('Schema')}PageSchema"
    if name not in _page_schemas:
        attrs = {
            "items": fields.List(fields.Nested(item_schema_class), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
            **extra_fields,
        }
        _page_schemas[name] = Schema.from_dict(attrs, name=name)
    return _page_schemas[name]
