"""The Blueprint every API module uses: flask-smorest's, with error responses documented in our shape."""
import functools
import itertools
from http import HTTPStatus

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE, ValidationError, missing
from webargs.flaskparser import FlaskParser, is_json_request

from app.errors import MAX_ERRORS, BadRequest, UnsupportedMediaType
from app.pagination import Page, next_page_link
from app.request_json import JsonLimitExceeded, TooManyFields
from app.schemas.common import ErrorSchema

NUL_MESSAGE = "Must not contain the NUL character (U+0000)."
SURROGATE_MESSAGE = "Must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)."
UNKNOWN_MESSAGE = "Unknown field."
NOT_JSON_MESSAGE = "The body must be JSON, sent with Content-Type: application/json."


def _bad_text_message(text):
    if "\x00" in text:
        return NUL_MESSAGE
    # A JSON decoder joins an escaped surrogate pair into one character, so a surrogate left in a string is a lone
    # one, which UTF-8 cannot encode. (Both tests run in C; a regular expression takes 9 ms a megabyte.)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def _bad_text(value, path=""):
    """(path, message) where a NUL character or a lone surrogate hides in parsed input: JSON values and keys,
    query and form values."""
    if isinstance(value, str):
        message = _bad_text_message(value)
        if message:
            yield path or "_schema", message
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
        message = _bad_text_message(str(key or ""))
        if message:
            yield name, message
        else:
            yield from _bad_text(item, name)


class ArgumentsParser(FlaskParser):
    def load_json(self, req, schema):
        """The body read by the app's JSON provider (app.request_json), which bounds nesting, numbers and the count
        of arrays and of fields: a body beyond them is a 400 like one that does not parse, except too many fields,
        which are unknown fields (a 422, in one entry). A body of another type (a form, say) is a 415: read as no
        body, it would be answered with "Missing data" for fields the client did send."""
        body = req.get_data(cache=True)
        if not body:
            return missing
        if not is_json_request(req):
            raise UnsupportedMediaType(NOT_JSON_MESSAGE)
        try:
            return current_app.json.loads(body)
        except TooManyFields as error:
            raise ValidationError(str(error)) from None
        except JsonLimitExceeded as error:
            raise BadRequest(str(error)) from None
        except ValueError:
            raise BadRequest() from None

    def pre_load(self, location_data, *, schema, req, location):
        """Text with a NUL character or a lone surrogate is refused with a 422 for every argument, on every
        engine: PostgreSQL cannot store NUL (nor compare with it), UTF-8 cannot encode a lone surrogate (every
        write to the database or Redis fails on it), and no field of ours has a use for either. Many unknown fields are refused before the schema sees them."""
        self.refuse_many_unknown_fields(location_data, schema, location)
        found = dict(itertools.islice(_bad_text(location_data), MAX_ERRORS))
        if found:
            raise ValidationError({path: [found[path]] for path in sorted(found)})
        return super().pre_load(location_data, schema=schema, req=req, location=location)

    def refuse_many_unknown_fields(self, location_data, schema, location):
        """marshmallow builds one message per unknown field (a million keys: seconds of work, 70 MB of answer);
        past MAX_ERRORS of them, the answer names the first few and counts the rest, at the cost of a set."""
        unknown = self.DEFAULT_UNKNOWN_BY_LOCATION.get(location) or schema.unknown
        if unknown != RAISE or not hasattr(location_data, "keys"):
            return
        declared = {field.data_key or name for name, field in schema.fields.items() if not field.dump_only}
        extra = location_data.keys() - declared
        if len(extra) < MAX_ERRORS:
            return
        named = MAX_ERRORS - 1
        first = list(itertools.islice((key for key in location_data.keys() if key in extra), named))
        messages = {key: [UNKNOWN_MESSAGE] for key in first}
        messages["_schema"] = [f"{len(extra) - named} more unknown fields."]
        raise ValidationError(messages)


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

    def response(self, status_code, schema=None, **kwargs):
        """A page's response (a schema with `next_cursor`) also sends `Link: <next page>; rel="next"` when there
        is a next page, whether the view returns the Page (dumped by the schema) or a lean Response (which sets
        the header itself, app.schemas.lean.page_response); the header is documented on the operation."""
        instance = schema() if isinstance(schema, type) else schema
        if "next_cursor" not in getattr(instance, "fields", ()):
            return super().response(status_code, schema, **kwargs)
        headers = {"Link": {"description": 'The next page, `<URL>; rel="next"`, when `next_cursor` is not null.',
                            "schema": {"type": "string"}}}
        respond = super().response(status_code, schema, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

        def decorator(view):
            @functools.wraps(view)
            def with_next_link(*args, **view_kwargs):
                result = view(*args, **view_kwargs)
                if isinstance(result, Page) and result.next_cursor:
                    return result, {"Link": next_page_link(result.next_cursor)}
                return result

            return respond(with_next_link)

        return decorator

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
        not_json = self.alt_response(415, description="The body is not JSON (`Content-Type` is not application/json).")
        return lambda view: not_json(bad_json(parse(view)))

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


def no_store(response):
    """An after_request for the blueprints whose answers carry tokens: no cache may keep them (RFC 6749 §5.1),
    and their errors are not cached either."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


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
