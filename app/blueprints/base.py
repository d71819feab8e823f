"""The Blueprint every API module uses: flask-smorest's, with error responses documented in our shape."""
from http import HTTPStatus

from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from app.schemas.common import ErrorSchema

NUL_MESSAGE = "Must not contain the NUL character (U+0000)."


def _paths_with_nul(value, path=""):
    """Where a NUL character hides in parsed input: JSON values and keys, query and form values."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "_schema"
        return
    items = getattr(value, "data", value)  # webargs' MultiDictProxy around werkzeug's MultiDict
    if hasattr(items, "lists"):
        items = items.lists()
    elif hasattr(items, "items"):
        items = items.items()
    elif isinstance(items, (list, tuple)):
        items = ((None, item) for item in items)
    else:
        return
    for key, item in items:
        name = path if key is None else f"{path}.{key}" if path else str(key)
        if "\x00" in str(key or ""):
            yield name
        else:
            yield from _paths_with_nul(item, name)


class ArgumentsParser(FlaskParser):
    def pre_load(self, location_data, *, schema, req, location):
        """Text with a NUL character is refused with a 422 for every argument, on every engine: PostgreSQL
        cannot store it (nor compare with it), and no field of ours has a use for it."""
        paths = sorted(set(_paths_with_nul(location_data)))
        if paths:
            raise ValidationError({path: [NUL_MESSAGE] for path in paths})
        return super().pre_load(location_data, schema=schema, req=req, location=location)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args, rate_limited=True, **kwargs):
        """rate_limited: whether the default per-IP limit applies (every API route; not the probes)."""
        super().__init__(*args, **kwargs)
        self.rate_limited = rate_limited

    def alt_response(self, status_code, response=None, *, schema=None, **kwargs):
        """An error status documented without a schema gets the contract's error schema, so
        /openapi.json describes the body the error handler really sends."""
        if response is None and schema is None and HTTPStatus(int(status_code)) >= 400:
            schema = ErrorSchema
        return super().alt_response(status_code, response, schema=schema, **kwargs)

    def arguments(self, schema, *, location="json", required=None, **kwargs):
        """A request body is documented as required exactly when the server refuses to go without one:
        an absent body is read as `{}`, so it is required when the schema rejects `{}`. A JSON body
        that does not parse is a 400, documented here once for every operation that reads one."""
        if required is None:
            instance = schema() if isinstance(schema, type) else schema
            required = bool(instance.validate({}))
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse
        bad_json = self.alt_response(400, description="The body is not valid JSON.")
        return lambda view: bad_json(parse(view))

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **kwargs):
        """A path id outside the 64-bit range matches no route (the `id` converter): every operation on
        such a path can answer 404, whether or not its view ever looks a row up."""
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **kwargs)
        if "<id:" in rule:
            self._document_error(self._endpoints[-1], 404, "No such resource (or an id out of range).")
        if self.rate_limited:
            self._document_error(self._endpoints[-1], 429, "Rate limited: retry after `Retry-After` seconds.")

    def _document_error(self, endpoint, status_code, description):
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            responses = doc.setdefault("response", {}).setdefault("responses", {})
            if status_code not in responses and str(status_code) not in responses:
                # One dict per operation: flask-smorest consumes it (pops its content_type) when building the spec.
                responses[status_code] = [{"schema": self._make_doc_response_schema(ErrorSchema()),
                                           "description": description, "content_type": None}]
