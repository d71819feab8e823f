"""Shared fixtures: one app per session, a clean database (and Redis) per test, factories, tokens.

The engine and Redis come from the same variables users set: DATABASE_URL (default: a SQLite
file in a temporary folder) and REDIS_URL (default: unset, so jobs run in-process and limits
live in memory). Tests marked `postgres` or `redis` are skipped when those are not configured.
"""
import itertools
import os

import pytest
from flask import g, has_request_context, request
from flask_jwt_extended import create_access_token
from sqlalchemy import event

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


@pytest.fixture(scope="session")
def app_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("listify")

    class TestConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url(DATABASE_URL or f"sqlite:///{root / 'test.sqlite3'}")
        REDIS_URL = os.environ.get("REDIS_URL") or None
        RATELIMIT_STORAGE_URI = storage_uri(REDIS_URL)
        STORAGE_LOCAL_ROOT = str(root / "media")

    return TestConfig


@pytest.fixture(scope="session")
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        event.listen(db.engine, "before_cursor_execute", _fail_writes_in_read_only_requests)
    yield app
    with app.app_context():
        db.engine.dispose()


WRITE_STATEMENTS = {"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE"}


def _fail_writes_in_read_only_requests(conn, cursor, statement, parameters, context, executemany):
    """GET, HEAD and OPTIONS run in autocommit on PostgreSQL (app/database.py), which is only safe if they never
    write: any test (the fuzz over every operation included) that makes one write fails with a 500."""
    if has_request_context() and g.get("autocommit_reads") and statement.split(None, 1)[0].upper() in WRITE_STATEMENTS:
        raise AssertionError(f"{request.method} {request.path} wrote in a read-only request: {statement[:120]}")


@pytest.fixture
def make_app():
    """Another app for a test that needs a different configuration; its connections are closed after."""
    apps = []

    def make(config_class):
        extra_app = create_app(config_class)
        apps.append(extra_app)
        return extra_app

    yield make
    for extra_app in apps:
        with extra_app.app_context():
            db.session.remove()
            db.engine.dispose()


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
def auth_headers():
    """Real access tokens, minted as login does (no switch turns authentication off)."""

    def headers(user, **claims):
        token = create_access_token(identity=str(user.id), additional_claims={"ver": user.jwt_version, **claims})
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
