"""Domain errors, and the one handler that turns every error into the contract's shape.

Services raise the classes below; they never build responses. Every layer (webargs
validation, flask-jwt-extended, flask-limiter, werkzeug's HTTP errors, unexpected
exceptions) ends up in the same JSON body: {"errors": [{"code", "message", "field"?}]}.
"""
import logging
import re

import redis
from flask import g, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db


class AppError(Exception):
    """Base of every error a service may raise on purpose."""

    status = 400
    code = "bad_request"
    message = "Bad request."

    def __init__(self, message=None, *, field=None, code=None, headers=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.field = field
        self.headers = headers or {}
        if code:
            self.code = code

    def to_dict(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return error


class BadRequest(AppError):
    """A body the server does not read: not JSON, or JSON beyond the limits of app.request_json."""

    message = "The request body is not valid JSON."


class InvalidInput(AppError):
    status = 422
    code = "validation_error"
    message = "Invalid input."


class Unauthorized(AppError):
    status = 401
    code = "not_authenticated"
    message = "Authentication required."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "Already exists."


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    message = "The resource changed since the If-Match ETag: nothing was changed."


class RateLimited(AppError):
    """A quota of the domain (not a per-request limit of flask-limiter); give `Retry-After` in `headers`."""

    status = 429
    code = "rate_limited"
    message = "Too many requests. Retry later."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    message = "Unsupported media type."


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable."


# ---------------------------------------------------------------------------
# The one handler: every error, from every layer, in the contract's shape.


log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

HTTP_MESSAGES = {
    400: "The request could not be understood.",
    404: "The requested resource was not found.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    500: "An unexpected error occurred.",
}


# At most this many entries in one error body; a field name is cut to FIELD_CHARS characters (ours are short: only
# an unknown key can be longer, and echoing it whole would let a request choose the size of its answer).
MAX_ERRORS = 20
FIELD_CHARS = 100
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def error_response(status, errors, headers=None):
    response = jsonify({"errors": errors})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_validation_messages(messages, prefix=None, top=True):
    """Turn webargs/marshmallow's nested messages into a flat list of contract errors."""
    errors = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if top and key in ("json", "query", "querystring", "form", "files", "path", "headers", "view_args"):
                errors += flatten_validation_messages(value, None, top=False)  # a field may be called "query"
            elif key == "_schema":
                errors += flatten_validation_messages(value, prefix)
            else:
                field = f"{prefix}.{key}" if prefix is not None else str(key)
                errors += flatten_validation_messages(value, field)
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            if isinstance(message, (dict, list, tuple)):
                errors += flatten_validation_messages(message, prefix)
            else:
                errors.append(_error("validation_error", str(message), prefix))
    else:
        errors.append(_error("validation_error", str(messages), prefix))
    return errors


def _error(code, message, field=None):
    error = {"code": code, "message": message}
    if field:
        # A key holding a lone surrogate is named with U+FFFD in its place: the answer stays valid UTF-8.
        error["field"] = _SURROGATE.sub("\ufffd", field[:FIELD_CHARS])
    return error


def handle_app_error(error: AppError):
    return error_response(error.status, [error.to_dict()], error.headers)


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        log.error("HTTP %s: %s", status, error.description)
    code = HTTP_CODES.get(status, "http_error")
    headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    if status == 422 and "messages" in data:
        errors = flatten_validation_messages(data["messages"])[:MAX_ERRORS] or [_error(code, "Invalid input.")]
    elif status == 429:
        limit = getattr(error, "description", "") or "rate limit"
        errors = [_error(code, f"Too many requests: {limit}. Retry later.")]
    else:
        message = data.get("message") or HTTP_MESSAGES.get(status) or error.description or error.name
        errors = [_error(code, message)]
    return error_response(status, errors, headers)


def handle_integrity_error(error: IntegrityError):
    # Services translate the constraint violations they expect; one that slips through is still a conflict.
    log.warning("Unhandled integrity error (request %s): %s", g.get("request_id"), error.orig)
    db.session.rollback()
    return error_response(409, [_error("conflict", "The request conflicts with existing data.")])


def handle_database_unavailable(error: OperationalError):
    log.error("Database unavailable (request %s): %s", g.get("request_id"), error.orig)
    db.session.rollback()
    return error_response(503, [_error("service_unavailable", "The database is unavailable. Retry later.")])


def handle_unexpected_error(error: Exception):
    log.exception("Unexpected error (request %s)", g.get("request_id"))
    return error_response(500, [_error("internal_error", HTTP_MESSAGES[500])])


def register_error_handlers(app):
    """Registered after flask-smorest's Api, so these replace its HTTPException handler."""
    def handle_redis_unavailable(error):
        log.error("Redis unavailable (request %s): %s", g.get("request_id"), error)
        return error_response(503, [_error("service_unavailable", "The job queue is unavailable. Retry later.")])

    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(redis.exceptions.ConnectionError, handle_redis_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, handle_redis_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
