"""Conditional requests: ETag and If-None-Match on every JSON `GET 200`, If-Match on collection writes.

Every JSON `GET 200` carries an ETag. Reads whose validator the server keeps (app.services.validators) are
decorated with `kept_validator`: a current If-None-Match is answered `304` before the read runs, and a `200`
carries that validator. Every other read gets the hash of the bytes it already holds (computed once, no second
dump), so a `304` there still runs the read but saves the body on the wire.
"""
import hashlib
import re
from functools import wraps

from flask import Response, g, request

from app import clock
from app.blueprints.security import current_user
from app.services import validators
from app.services.media import url_window


def register_etags(app):
    @app.after_request
    def etag_on_json_reads(response):
        if (request.method not in ("GET", "HEAD") or response.status_code != 200 or response.is_streamed
                or response.mimetype != "application/json" or "ETag" in response.headers):
            return response
        kept = g.pop("kept_etag", None)
        if kept is not None:
            response.set_etag(*kept)
        else:
            response.add_etag()  # werkzeug: a hash of the body
        # If-None-Match with this ETag (or `*`) turns it into a 304 without a body (werkzeug, RFC 9110 §13.1.2).
        return response.make_conditional(request)


def kept_validator(validator):
    """The innermost decorator of a JSON read whose validator the server keeps. `validator(**view_kwargs)` gives
    `(etag, weak)`, or None when the read is going to answer an error (which it then does). The validator is
    read before the body, so a body is never older than its ETag."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            kept = validator(**kwargs)
            if kept is None:
                return view(*args, **kwargs)
            etag, weak = kept
            if_none_match = request.if_none_match
            # `*` is left to the read (werkzeug's contains_weak would match it): the resource must exist.
            if not if_none_match.star_tag and if_none_match.contains_weak(etag):
                not_modified = Response(status=304)
                not_modified.set_etag(etag, weak)
                return not_modified
            g.kept_etag = kept
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _digest(*parts) -> str:
    """A short digest of what, besides the versions, the body depends on (the URL, the caller)."""
    return hashlib.blake2b("\n".join(map(str, parts)).encode(), digest_size=8).hexdigest()


def catalogue_etag(**_):
    """Songs, artists and albums change only with the catalogue's version; the URL picks the page."""
    return f"catalogue.{validators.catalogue_version()}.{_digest(request.full_path)}", False


def profile_etag(user_id=None, **_):
    """A profile changes with the user's profile_version; `followed_by_me` with the caller; the picture's signed
    URL with the window of half MEDIA_URL_TTL it is issued in (app.services.media.media_url), so a URL kept by a
    client through 304s has at least half its lifetime left. Weak: with S3, each process presigns its own URL."""
    if user_id is None or user_id == current_user.id:
        user_id, version = current_user.id, current_user.profile_version  # read with the token's user
    else:
        version = validators.profile_version(user_id)
    if version is None:
        return None
    period = int(clock.timestamp()) // url_window()
    return f"profile.{user_id}.{version}.{_digest(request.path, current_user.id, period)}", True


def collection_etag(collection_id, **_):
    versions = validators.collection_versions(collection_id, current_user.id)
    if versions is None:
        return None
    version, catalogue = versions
    return f"collection.{collection_id}.{version}.{catalogue}", False


def if_match_versions(collection_id: int) -> list[int] | None:
    """The collection versions that If-Match allows: None for no precondition (no header, or `*`). An ETag
    that is not one of this collection's allows none (412). Only the collection's own version is compared: a
    change to the catalogue (a song's title) does not make a change of the collection stale."""
    if not request.headers.get("If-Match") or request.if_match.star_tag:
        return None
    ours = re.compile(rf"collection\.{collection_id}\.([0-9]{{1,18}})\.[0-9]{{1,19}}")
    return [int(match[1]) for etag in request.if_match.as_set() if etag and (match := ours.fullmatch(etag))]


def if_match(blp):
    """A collection write that takes If-Match: the view gets `expected_versions` (see if_match_versions) for
    the service to check in the statement that changes the collection; the header and the 412 are documented."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, expected_versions=if_match_versions(kwargs["collection_id"]), **kwargs)

        # The If-Match parameter is documented with the 412 (app.extensions.ConditionalReadsPlugin).
        return blp.alt_response(412, description="`If-Match` is not the collection's current ETag: nothing "
                                                 "changed (`precondition_failed`).")(wrapper)

    return decorator
