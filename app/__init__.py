"""Listify: a social music REST API."""
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import api, cors, db, jwt, limiter, migrate
from app.request_json import RequestJSONProvider


def create_app(config_class=None):
    if config_class is None:
        from config import config_from_env

        config_class = config_from_env()
    app = Flask(__name__, instance_path=_instance_path(config_class))
    app.json = RequestJSONProvider(app)
    app.config.from_object(config_class)

    from app.blueprints.conditional import register_etags
    from app.database import register_read_only_requests
    from app.logging_setup import configure_logging, register_request_logging
    from app.metrics import register_metrics

    configure_logging(app)  # first, so what finalize says (where development's keys come from) is written
    config_class.finalize(app.config)
    register_proxy_fix(app)
    register_extensions(app)
    register_request_logging(app)
    register_response_headers(app)
    register_read_only_requests(app, db)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_metrics(app)
    # Last registered, so its after_request runs first: a 200 it turns into a 304 is logged and counted as a 304.
    register_etags(app)
    return app


def _instance_path(config_class):
    path = Path(config_class.INSTANCE_PATH)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def register_proxy_fix(app):
    # X-Forwarded-For is believed only from as many proxies as we run; otherwise anyone could pick their IP.
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_response_headers(app):
    @app.after_request
    def no_sniffing(response):
        # Every answer is taken for the type it declares: an error body echoing input is never run as a page.
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


# The answers that tell a client when to come back (RFC 9110 §10.2.3): refused for a while, or unavailable.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def register_retry_after_scope(app):
    """flask-limiter sends Retry-After with its X-RateLimit-* headers on every answer of a limited route (a 200, a
    202, a preflight), where it reads as "come back later"; keep it on 429 and 503 only. Flask runs after_request
    hooks in reverse order of registration: registered before `limiter.init_app`, this one runs after the
    limiter's has added the header."""

    @app.after_request
    def retry_after_only_when_refused(response):
        if response.status_code not in RETRY_AFTER_STATUSES:
            response.headers.pop("Retry-After", None)
        return response


def register_extensions(app):
    from datetime import timedelta

    from app import ratelimit
    from app.schemas.common import ErrorSchema

    app.config.setdefault("JWT_ACCESS_TOKEN_EXPIRES", timedelta(seconds=app.config["ACCESS_TOKEN_TTL"]))
    app.config.setdefault("RATELIMIT_STORAGE_URI", ratelimit.storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # If Redis is down, keep limiting per process rather than failing every request.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "listify")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "info": {"description": "Listify: follow people, review and like songs, keep collections, read feeds."},
    })

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    jwt.init_app(app)
    cors.init_app(app, origins=app.config["CORS_ALLOWED_ORIGINS"], expose_headers=[
        "X-Request-ID", "ETag", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
        "Location",
    ])
    register_retry_after_scope(app)  # before the limiter: see there
    limiter.init_app(app)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)

    from app.blueprints.converters import register_converters

    register_converters(app, api)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLite enforces foreign keys (our ON DELETE CASCADEs) only when asked, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def register_blueprints(app):
    from app.blueprints import register_all

    register_all(app, api, limiter)


def register_errors(app):
    from app.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app):
    from app.cli import register_commands

    register_commands(app)


logging.getLogger("urllib3").setLevel(logging.WARNING)
