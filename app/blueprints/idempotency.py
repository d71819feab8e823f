"""`Idempotency-Key` on creating POSTs: the HTTP side of app.services.idempotency.

`idempotent(blp, *statuses)` goes right under `auth_required` (the key belongs to the token's user) and above
`arguments`, so a replay answers before the body is parsed again and an invalid body releases the key.
"""
from functools import wraps

from flask import Response, current_app, request

from app.blueprints.security import current_user
from app.services import idempotency

REPLAYED_HEADER = "Idempotent-Replayed"
# Response headers a replay must repeat; the rest (rate limits, request id) belong to the repeat itself.
KEPT_HEADERS = ("Content-Type", "Location")

_KEY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": "Retry safely: the same key from the same user within 24 hours, with the same body, answers "
                   "the first response again (with `Idempotent-Replayed: true`) and creates nothing more.",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
}
_REPLAYED = {
    "description": "`true` when this is the stored response of an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


IN_FLIGHT = "A request with this Idempotency-Key is still being processed."


def idempotent(blp, *statuses: int, document_conflict=True, document_invalid=False):
    """Accept `Idempotency-Key` on this creating POST; `statuses` are its success statuses (documented as
    possibly replayed). An operation that documents a 409 (or 422) of its own names IN_FLIGHT (or the key) in it
    and passes False (or leaves document_invalid False)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get(idempotency.HEADER)
            if key is None:
                return view(*args, **kwargs)
            idempotency.validate_key(key)
            hashed = idempotency.request_hash(
                request.method, request.path, request.query_string, request.get_data(cache=True)
            )
            held = idempotency.claim(
                current_user.id, key, hashed,
                in_flight_timeout=current_app.config["IDEMPOTENCY_IN_FLIGHT_TIMEOUT"],
            )
            if isinstance(held, idempotency.StoredResponse):
                return _replay(held)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                idempotency.release(held)
                raise
            if response.status_code >= 500 or response.is_streamed:
                idempotency.release(held)
                return response
            kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            idempotency.store(held, idempotency.StoredResponse(response.status_code, response.get_data(), kept))
            return response

        if document_conflict:
            wrapper = blp.alt_response(409, description=IN_FLIGHT)(wrapper)
        if document_invalid:
            wrapper = blp.alt_response(
                422, description="Invalid Idempotency-Key, or one already used for another request."
            )(wrapper)
        return blp.doc(
            parameters=[_KEY_PARAMETER],
            responses={str(status): {"headers": {REPLAYED_HEADER: _REPLAYED}} for status in statuses},
        )(wrapper)

    return decorator


def _replay(stored: idempotency.StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status_code, headers=stored.headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response
