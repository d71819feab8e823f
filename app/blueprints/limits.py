"""Rate-limit keys and limits shared by routes."""
from flask import current_app, request
from flask_limiter.util import get_remote_address


def login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def register_limit():
    """Sign-ups per client IP: each one costs an argon2 hash (a quarter second and 64 MiB)."""
    return current_app.config["RATELIMIT_REGISTER"]


def metrics_limit():
    return current_app.config["RATELIMIT_METRICS"]


def login_email_key():
    """Login attempts are also counted per target email, whatever IP they come from."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    if isinstance(email, str) and email.strip():
        # A lone surrogate ("\ud800", refused later as 422) cannot be encoded for Redis; flask-limiter takes any
        # error from a key as its storage being down and counts in process memory from then on.
        return "email:" + email.strip().lower()[:254].encode("utf-8", "backslashreplace").decode("utf-8")
    return "ip:" + get_remote_address()
