"""Authentication for routes: the Bearer access token (app.access_tokens), its user (loaded once per request),
and the 401s in the contract's shape.

`current_user` is the token's user (app.services.tokens.TokenUser, a read-only snapshot of the row) and
`token_claims()` the token's verified claims, for the request that passed `auth_required`.
"""
from functools import wraps

from flask import current_app, g, request
from werkzeug.local import LocalProxy

from app import access_tokens
from app.errors import Forbidden, Unauthorized
from app.services.tokens import load_user_for_token

__all__ = ["auth_required", "admin_required", "current_user", "token_claims"]

current_user = LocalProxy(lambda: g.current_user)


def token_claims():
    """The verified claims of this request's access token (read-only)."""
    return g.access_token_claims


def _unauthorized(code, message):
    return Unauthorized(message, code=code, headers={"WWW-Authenticate": "Bearer"})


def _bearer_token() -> str:
    """The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750)."""
    credentials = [
        part.split() for part in request.headers.get("Authorization", "").split(",") if part.strip()
    ]
    bearer = [words for words in credentials if words[0].lower() == "bearer"]
    if len(bearer) != 1:
        raise _unauthorized("not_authenticated", "A Bearer access token is required.")
    if len(bearer[0]) != 2:
        raise _unauthorized("invalid_token", "The access token is invalid.")
    return bearer[0][1]


def authenticate() -> None:
    """Verify the request's access token and load its user, or answer 401."""
    try:
        verified = access_tokens.verify(current_app, _bearer_token())
    except access_tokens.ExpiredAccessToken:
        raise _unauthorized("token_expired", "The access token has expired.") from None
    except access_tokens.InvalidAccessToken:
        raise _unauthorized("invalid_token", "The access token is invalid.") from None
    user = load_user_for_token(verified.user_id, verified.claims)
    if user is None:
        raise _unauthorized("token_revoked", "The access token has been revoked.")
    g.current_user = user
    g.access_token_claims = verified.claims


def auth_required(blp):
    """Require a valid access token, and document it (security scheme and 401) on the operation."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            authenticate()
            return view(*args, **kwargs)

        wrapper = blp.alt_response(401, description="Missing, invalid, expired or revoked access token.")(wrapper)
        return blp.doc(security=[{"bearerAuth": []}])(wrapper)

    return decorator


def admin_required(blp):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_admin:
                raise Forbidden("Administrators only.")
            return view(*args, **kwargs)

        wrapper = blp.alt_response(403, description="Not an administrator.")(wrapper)
        return auth_required(blp)(wrapper)

    return decorator
