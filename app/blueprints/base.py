"""The Blueprint every API module uses: flask-smorest's, with error responses documented in our shape."""
from http import HTTPStatus

from flask.views import MethodView
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
        """Errors that every operation of a path can answer, documented on each of its operations: a 404
        where the path has an id (one outside the 64-bit range matches no route, whether or not the view
        ever looks a row up), a 429 where the blueprint is rate limited."""
        shared = []
        if "<id:" in rule:
            shared.append(self.alt_response(404, description="No such resource (or an id out of range)."))
        if self.rate_limited:
            shared.append(self.alt_response(429, description="Rate limited: retry after `Retry-After` seconds."))
        if shared and view_func is not None:
            view_func = _with_decorators(view_func, shared)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **kwargs)


def _with_decorators(view, decorators):
    """The view function, or the MethodView's HTTP methods, wrapped in `decorators`.

    They wrap the view's own decorators: flask-smorest merges the responses documented for one status
    with the one nearest the view last, so an operation that documents the status itself keeps its own
    description. A MethodView gets a subclass, so that the class itself stays as written (registered
    on another rule, it documents only that rule's errors)."""

    def decorate(function):
        for decorator in decorators:
            function = decorator(function)
        return function

    if isinstance(view, type) and issubclass(view, MethodView):
        methods = {method.lower(): decorate(getattr(view, method.lower())) for method in view.methods}
        names = {name: getattr(view, name) for name in ("__module__", "__qualname__", "__doc__")}
        return type(view.__name__, (view,), {**names, **methods})
    return decorate(view)
