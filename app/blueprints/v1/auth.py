"""Accounts and sessions (v1)."""
from app.blueprints.base import Blueprint, no_store
from app.blueprints.limits import login_email_key, login_limit, register_limit
from app.blueprints.security import auth_required, current_user, token_claims
from app.extensions import limiter
from app.schemas.auth import (
    LoginSchema,
    LogoutSchema,
    MessageSchema,
    PasswordChangeSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    RegisterSchema,
    SessionSchema,
    TokenPairSchema,
)
from app.services import auth

blp = Blueprint("v1_auth", __name__, url_prefix="/api/v1/auth", description="Sign up, log in and out, passwords.")
blp.after_request(no_store)  # its answers carry tokens


def session_body(session):
    return {"user": session.user, **vars(session.tokens)}


@blp.route("", methods=["POST"])
@limiter.limit(register_limit, scope="register")
@blp.arguments(RegisterSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, description="Email or username already taken.")
@blp.alt_response(429, description="Too many sign-ups from this IP.")
def register(body):
    """Create an account and start a session."""
    return session_body(auth.register(**body))


@blp.route("/login", methods=["POST"])
@limiter.limit(login_limit, scope="login-ip")
@limiter.limit(login_limit, key_func=login_email_key, scope="login-email")
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(401, description="Wrong email or password (the same answer for both).")
@blp.alt_response(429, description="Too many attempts for this IP or email.")
def login(body):
    """Start a session with email and password."""
    return session_body(auth.login(body["email"], body["password"]))


@blp.route("/logout", methods=["DELETE"])
@auth_required(blp)
@blp.arguments(LogoutSchema)
@blp.response(204)
def logout(body):
    """End this session: the access token is revoked, and so is this session's refresh-token family."""
    auth.logout(current_user, token_claims(), body.get("refresh_token"))


@blp.route("/logout_all", methods=["POST"])
@auth_required(blp)
@blp.response(204)
def logout_all():
    """End every session of the account: all its access and refresh tokens stop working."""
    auth.logout_all(current_user)


@blp.route("/password", methods=["PATCH"])
@auth_required(blp)
@blp.arguments(PasswordChangeSchema)
@blp.response(200, TokenPairSchema)
def change_password(body):
    """Change your password; every other token stops working and a fresh pair is returned."""
    return auth.change_password(current_user, body["current_password"], body["password"])


@blp.route("/password", methods=["POST"])
@blp.arguments(PasswordResetRequestSchema)
@blp.response(202, MessageSchema)
def request_password_reset(body):
    """Mail a password-reset token (valid 6 hours, single use). The answer is the same for unknown emails."""
    auth.request_password_reset(body["email"])
    return {"message": "If this email is registered, a reset token has been sent to it."}


@blp.route("/password", methods=["PUT"])
@blp.arguments(PasswordResetSchema)
@blp.response(200, SessionSchema)
def reset_password(body):
    """Set a new password with a reset token; every existing token stops working."""
    return session_body(auth.reset_password(body["reset_password_token"], body["password"]))
