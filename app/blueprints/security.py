"""Authentication for routes: the Bearer access token, its user (loaded once per request), and
flask-jwt-extended's errors in the contract's shape."""
from functools import wraps

from flask import g
from flask_jwt_extended import current_user, get_jwt, jwt_required

from app.errors import Forbidden, error_response
from app.services.tokens import load_user_for_token

__all__ = ["auth_required", "admin_required", "current_user", "get_jwt"]


def _unauthorized(code, message):
    return error_response(401, [{"code": code, "message": message}], {"WWW-Authenticate": "Bearer"})


def register_jwt_callbacks(jwt):
    @jwt.token_in_blocklist_loader
    def token_revoked(jwt_header, jwt_payload):
        user, revoked = load_user_for_token(jwt_payload)
        g.token_user = user
        return revoked

    @jwt.user_lookup_loader
    def user_for_token(jwt_header, jwt_payload):
        return g.get("token_user")

    @jwt.unauthorized_loader
    def missing_token(reason):
        return _unauthorized("not_authenticated", "A Bearer access token is required.")

    @jwt.invalid_token_loader
    def invalid_token(reason):
        return _unauthorized("invalid_token", "The access token is invalid.")

    @jwt.expired_token_loader
    def expired_token(jwt_header, jwt_payload):
        return _unauthorized("token_expired", "The access token has expired.")

    @jwt.revoked_token_loader
    def revoked_token(jwt_header, jwt_payload):
        return _unauthorized("token_revoked", "The access token has been revoked.")

    @jwt.user_lookup_error_loader
    def unknown_user(jwt_header, jwt_payload):
        return _unauthorized("token_revoked", "The access token has been revoked.")

    @jwt.token_verification_failed_loader
    def verification_failed(jwt_header, jwt_payload):
        return _unauthorized("invalid_token", "The access token is invalid.")


def auth_required(blp):
    """Require a valid access token, and document it (security scheme and 401) on the operation."""

    def decorator(view):
        view = jwt_required()(view)
        view = blp.alt_response(401, description="Missing, invalid, expired or revoked access token.")(view)
        return blp.doc(security=[{"bearerAuth": []}])(view)

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
