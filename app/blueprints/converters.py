"""Path converters: ids beyond the 64-bit signed range match no route, so they are a 404."""
from werkzeug.routing import IntegerConverter

from app.models import MAX_ID


class IdConverter(IntegerConverter):
    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def register_converters(app, api):
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
