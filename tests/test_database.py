"""app/database.py: read-only requests in autocommit, dead pooled connections refused at checkout."""
import time

import psycopg
import pytest
from sqlalchemy import create_engine, event

from app.database import autocommit_engine
from app.extensions import db


@pytest.fixture
def statements_seen():
    """(statement, autocommit, transaction status before it) for every statement the app's engine sends."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        dbapi = conn.connection.dbapi_connection
        seen.append((statement.split()[0].upper(), dbapi.autocommit, int(dbapi.info.transaction_status)))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.postgres
def test_a_read_only_request_sends_its_statements_in_autocommit(client, make_user, auth_headers, statements_seen):
    viewer, other = make_user(), make_user()
    headers, path = auth_headers(viewer), f"/api/v1/users/{other.id}"
    db.session.remove()  # as in production: the request starts with no transaction of its own
    statements_seen.clear()

    assert client.get(path, headers=headers).status_code == 200

    assert {name for name, _, _ in statements_seen} == {"SELECT"}  # the token's user, the profile
    idle = int(psycopg.pq.TransactionStatus.IDLE)
    assert all(autocommit and status == idle for _, autocommit, status in statements_seen), statements_seen
    assert not db.session().in_transaction()  # the connection went back to the pool at the end of the request


@pytest.mark.postgres
def test_a_write_request_still_runs_in_one_transaction(client, make_user, auth_headers, statements_seen):
    follower, followed = make_user(), make_user()
    headers, path = auth_headers(follower), f"/api/v1/users/{followed.id}/follow"
    db.session.remove()
    statements_seen.clear()

    assert client.post(path, headers=headers).status_code == 201

    assert statements_seen and not any(autocommit for _, autocommit, _ in statements_seen), statements_seen
    inserts = [name for name, _, _ in statements_seen if name == "INSERT"]
    assert inserts, statements_seen


@pytest.mark.postgres
def test_a_request_inside_an_open_transaction_keeps_it(client, make_user, auth_headers, statements_seen):
    viewer = make_user()
    headers = auth_headers(viewer)  # reads viewer's columns: the session is now inside a transaction
    assert db.session().in_transaction()
    statements_seen.clear()

    assert client.get(f"/api/v1/users/{viewer.id}", headers=headers).status_code == 200

    assert statements_seen and not any(autocommit for _, autocommit, _ in statements_seen)


def test_outside_a_request_the_session_uses_the_engine_itself(app):
    assert db.session.get_bind() is db.engine
    assert autocommit_engine(db.engine) is autocommit_engine(db.engine)  # one variant per engine, sharing its pool
    assert autocommit_engine(db.engine).pool is db.engine.pool


@pytest.mark.postgres
def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout_without_an_error():
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            first_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        # The pool's only connection is idle now; the server ends it (a restart or failover does the same).
        with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(False),
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
            deadline = time.monotonic() + 5
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first_pid,)).fetchone():
                assert time.monotonic() < deadline
                time.sleep(0.02)

        with engine.connect() as connection:
            second_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()

        assert second_pid != first_pid
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_healthy_pooled_connection_is_not_taken_for_a_dead_one():
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    try:
        pids = set()
        for _ in range(3):
            with engine.connect() as connection:
                pids.add(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())
        assert len(pids) == 1
    finally:
        engine.dispose()


def test_the_apps_engine_checks_out_pooled_connections_without_a_ping(app, monkeypatch):
    pings = []
    monkeypatch.setattr(type(db.engine.dialect), "do_ping", lambda self, connection: pings.append(connection) or True)
    for _ in range(3):
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    assert pings == []  # the liveness check is app/database.py's socket poll, not a SELECT 1 per checkout


def test_the_tokens_user_built_from_a_row_can_be_changed_and_saved(client, make_user, auth_headers):
    """In production every request starts with an empty session, so the token's user is built from a row
    (app.services.tokens._attach_user), not loaded by the ORM: writes through it must reach the database."""
    from app.models import User

    user = make_user(password="correct horse")
    headers = auth_headers(user)
    user_id = user.id
    db.session.remove()

    renamed = client.patch(f"/api/v1/users/{user_id}", headers=headers, json={"username": "renamed", "bio": "hi"})
    db.session.remove()
    changed = client.patch("/api/v1/auth/password", headers=headers,
                           json={"current_password": "correct horse", "password": "battery staple"})
    db.session.remove()

    assert renamed.status_code == 200 and changed.status_code == 200
    stored = db.session.get(User, user_id)
    assert (stored.username, stored.bio, stored.jwt_version) == ("renamed", "hi", 2)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401  # the old token's version is gone
