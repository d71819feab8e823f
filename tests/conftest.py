"""Shared fixtures: one app per session, a clean database (and Redis) per test, factories, tokens.

The engine and Redis come from the same variables users set: DATABASE_URL (default: a SQLite
file in a temporary folder) and REDIS_URL (default: unset, so jobs run in-process and limits
live in memory). Tests marked `postgres` or `redis` are skipped when those are not configured.

As in production, every request (the `client` fixture, any `app.test_client()`) runs on a session of its own,
not the test's: after a request, read what it wrote with fresh queries (`db.session.expire_all()` first for
objects the test already holds). Time comes from the app's clock: the `clock` fixture stops and moves it.
"""
import contextvars
import itertools
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import event

from app import clock as app_clock
from app import create_app
from app.extensions import db, limiter
from app.queue import get_queue, redis_connection
from app.ratelimit import storage_uri
from config import TestingConfig, database_url

# Fixtures of real servers shared by several test folders (storage backends, SMTP).
pytest_plugins = ["tests.plugins.storage", "tests.plugins.mail"]

DATABASE_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL") or None
ON_POSTGRES = bool(DATABASE_URL) and DATABASE_URL.startswith(("postgres://", "postgresql"))


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)


def pytest_terminal_summary(terminalreporter, config):
    # pytest-randomly names its seed in the header, which -q (make test) leaves out.
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.has_plugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(f"Random order: --randomly-seed={seed} runs it again (-p no:randomly: file order)")


@pytest.fixture(scope="session")
def app_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("listify")

    class TestConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url(DATABASE_URL or f"sqlite:///{root / 'test.sqlite3'}")
        REDIS_URL = os.environ.get("REDIS_URL") or None
        RATELIMIT_STORAGE_URI = storage_uri(REDIS_URL)
        STORAGE_LOCAL_ROOT = str(root / "media")

    return TestConfig


class FreshContextClient(FlaskClient):
    """Each request runs in an empty context, as a server runs it: the request pushes its own app context,
    so Flask-SQLAlchemy gives it its own session (closed at its teardown), never the test's own."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def __enter__(self):
        # Contexts preserved by `with client:` would be pushed inside the request's own context and lost.
        raise TypeError("requests run in a fresh context: there is nothing for `with client:` to keep")


@pytest.fixture(scope="session")
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(app):
    """Another app for a test that needs a different configuration; its connections are closed after.

    flask-limiter's one Limiter takes the storage of the last app it was initialised with: the test app gets its
    own back after, or later tests would count in this app's storage (memory, or another Redis database)."""
    apps = []

    def make(config_class):
        extra_app = create_app(config_class)
        extra_app.test_client_class = FreshContextClient
        apps.append(extra_app)
        return extra_app

    yield make
    for extra_app in apps:
        with extra_app.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        limiter.init_app(app)  # public and idempotent: its request hooks are registered once per app


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Each test starts from empty tables, an empty Redis and fresh rate-limit counters."""
    with app.app_context():
        yield
        db.session.remove()
        truncate_all_tables()
        client = redis_connection()
        if client is not None:
            client.flushdb()
        limiter.reset()


def truncate_all_tables():
    # DELETE, children first: on tables this small it is ~30x faster than PostgreSQL's TRUNCATE.
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


class Clock:
    """The app's clock held still: it moves only when the test moves it."""

    def __init__(self, now: float):
        self.now = now

    def timestamp(self) -> float:
        return self.now

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now, timezone.utc)

    def advance(self, seconds: float = 0, **delta) -> None:
        """Forward (backward if negative) by seconds or timedelta's keywords: advance(61), advance(hours=-2)."""
        self.now += seconds + timedelta(**delta).total_seconds()


@pytest.fixture
def clock(monkeypatch):
    """Freezes the app's clock (app.clock) at the current whole second, for every thread, until the test ends.

    It starts from the real time because login's tokens are dated by it (flask-jwt-extended), and verified on
    this clock; auth_headers mints on this clock.
    """
    frozen = Clock(float(int(time.time())))
    monkeypatch.setattr(app_clock, "timestamp", frozen.timestamp)
    return frozen


@pytest.fixture
def statements(app):
    """The SQL statements the app's engine runs while the test runs, in order."""
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


_counter = itertools.count(1)


@pytest.fixture
def make_user():
    from app.models import User
    from app.services.passwords import hash_password

    def make(username=None, email=None, password="password123", **fields):
        n = next(_counter)
        username = username or f"user{n}"
        user = User(
            username=username,
            email=(email or f"{username}@example.com").lower(),
            password_hash=hash_password(password),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def auth_headers(app):
    """Real access tokens, minted as login does (no switch turns authentication off), on the app's clock:
    flask-jwt-extended would date them by the real time, and a stopped `clock` would find them not valid yet."""

    def headers(user, **claims):
        now = int(app_clock.timestamp())
        times = {"iat": now, "nbf": now, "exp": now + app.config["ACCESS_TOKEN_TTL"]}
        token = create_access_token(identity=str(user.id),
                                    additional_claims={"ver": user.jwt_version, **times, **claims})
        return {"Authorization": f"Bearer {token}"}

    return headers


def error_codes(response):
    """The `code`s of an error response, after checking it has the contract's shape."""
    body = response.get_json()
    assert set(body) == {"errors"}, body
    for error in body["errors"]:
        assert set(error) <= {"code", "message", "field"} and error["code"] and error["message"], error
    return [e["code"] for e in body["errors"]]


@pytest.fixture
def drain_jobs(app):
    """Run what is queued, as a worker would: with Redis, an RQ SimpleWorker in burst mode inside
    this process; without Redis, jobs already ran in-process at enqueue time."""

    def drain(queues=("ingest", "default")):
        from rq import SimpleWorker

        if redis_connection() is None:
            return
        worker = SimpleWorker([get_queue(name) for name in queues], connection=redis_connection())
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")

    return drain
