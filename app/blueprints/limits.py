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
        return "email:" + email.strip().lower()[:254]
    return "ip:" + get_remote_address()
