"""app/database.py: read-only requests in autocommit and refused writes, dead pooled connections refused at checkout."""
import time

import psycopg
import pytest
from sqlalchemy import create_engine, event, func, insert, select, text

from app.database import read_only_engine
from app.extensions import db
from app.models import Artist
from tests.conftest import error_codes


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
    assert db.session().in_transaction()  # the test's own session: the request must not run in it
    checked_out = db.engine.pool.checkedout()
    statements_seen.clear()

    assert client.get(path, headers=headers).status_code == 200

    assert {name for name, _, _ in statements_seen} == {"SELECT"}  # the token's user, the profile
    idle = int(psycopg.pq.TransactionStatus.IDLE)
    assert all(autocommit and status == idle for _, autocommit, status in statements_seen), statements_seen
    assert db.engine.pool.checkedout() == checked_out  # the request's connection went back to the pool


@pytest.mark.postgres
def test_a_write_request_still_runs_in_one_transaction(client, make_user, auth_headers, statements_seen):
    follower, followed = make_user(), make_user()
    headers, path = auth_headers(follower), f"/api/v1/users/{followed.id}/follow"
    statements_seen.clear()

    assert client.post(path, headers=headers).status_code == 201

    assert statements_seen and not any(autocommit for _, autocommit, _ in statements_seen), statements_seen
    inserts = [name for name, _, _ in statements_seen if name == "INSERT"]
    assert inserts, statements_seen


WRITES = {
    "orm": lambda: db.session.add(Artist(name="Written")),  # written by the flush of the commit
    "core": lambda: db.session.execute(insert(Artist).values(name="Written", deezer_id=1)),
    "returning": lambda: db.session.scalar(insert(Artist).values(name="Written").returning(Artist.id)),
    "text": lambda: db.session.execute(text(
        "INSERT INTO artists (name, created_at, updated_at) VALUES ('Written', '2026-01-01', '2026-01-01')"
    )),
}


@pytest.fixture
def app_with_writing_routes(make_app, app_config):
    """An app whose routes write whatever their method; the guard is the only thing that can refuse."""
    writing_app = make_app(app_config)

    @writing_app.route("/writes/<kind>", methods=["GET", "POST"])
    def writes(kind):
        WRITES[kind]()
        db.session.commit()
        return "", 204

    return writing_app


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_read_only_request_that_writes_fails_and_writes_nothing(app_with_writing_routes, method, kind):
    response = app_with_writing_routes.test_client().open(f"/writes/{kind}", method=method)

    assert response.status_code == 500
    if method == "GET":
        assert error_codes(response) == ["internal_error"]
    assert db.session.scalar(select(func.count()).select_from(Artist)) == 0


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_request_may_write(app_with_writing_routes, kind):
    assert app_with_writing_routes.test_client().post(f"/writes/{kind}").status_code == 204
    assert db.session.scalar(select(func.count()).select_from(Artist)) == 1


def test_outside_a_request_the_session_uses_the_engine_itself(app):
    assert db.session.get_bind() is db.engine
    assert read_only_engine(db.engine) is read_only_engine(db.engine)  # one variant per engine, sharing its pool
    assert read_only_engine(db.engine).pool is db.engine.pool


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
    """Every request starts with an empty session (in production, and in tests since the client runs each
    request in a fresh context): changes made through the token's user must reach the database."""
    from app.models import User

    user = make_user(password="correct horse")
    headers = auth_headers(user)
    user_id = user.id

    renamed = client.patch(f"/api/v1/users/{user_id}", headers=headers, json={"username": "renamed", "bio": "hi"})
    changed = client.patch("/api/v1/auth/password", headers=headers,
                           json={"current_password": "correct horse", "password": "battery staple"})

    assert renamed.status_code == 200 and changed.status_code == 200
    db.session.expire_all()  # the requests wrote through their own sessions
    stored = db.session.get(User, user_id)
    assert (stored.username, stored.bio, stored.jwt_version) == ("renamed", "hi", 2)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401  # the old token's version is gone
