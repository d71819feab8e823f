"""Migrations apply and roll back cleanly on the engine under test, and match the models."""
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES


@pytest.fixture
def empty_database_url(app_config, tmp_path):
    url = make_url(app_config.SQLALCHEMY_DATABASE_URI)
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(app_config, empty_database_url):
    class MigrationConfig(app_config):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def index_names(connection):
    if connection.dialect.name == "postgresql":
        return set(connection.scalars(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")))
    return set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))


def test_upgrade_creates_exactly_the_models_schema(migration_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # Alembic cannot reflect expression indexes on every engine; they are checked by name below.
            warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
            differences = compare_metadata(context, db.metadata)
        expected = {
            index.name for table in db.metadata.tables.values() for index in table.indexes
            if index._ddl_if is None or index._ddl_if.dialect in (None, connection.dialect.name)
        }
        missing = expected - index_names(connection)
    assert differences == []
    assert missing == set()


def test_downgrade_to_base_removes_every_table(migration_app):
    upgrade()
    downgrade(revision="base")
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    upgrade()  # and up again from nothing
    assert "users" in inspect(db.engine).get_table_names()


@pytest.mark.postgres
def test_the_feed_scan_index_covers_actor_and_visibility_after_upgrade(migration_app):
    upgrade()
    with db.engine.connect() as connection:
        definition = connection.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_activities_created'"))
    assert definition.endswith("(created_at, id) INCLUDE (actor_id, public)"), definition



def insert_user(connection):
    connection.execute(text(
        "INSERT INTO users (id, email, username, password_hash, bio, is_admin, jwt_version, created_at,"
        " updated_at) VALUES (1, 'a@example.com', 'a', 'x', '', false, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ))


def test_the_reset_limits_migration_keeps_only_the_newest_live_reset_token(migration_app):
    """Before it a user could hold many live reset tokens: the newest stays usable, the others are voided, so the
    one-live-token index can be built."""
    upgrade(revision="7c1e4a9d2b60")
    with db.engine.begin() as connection:
        insert_user(connection)
        for n in (1, 2, 3):
            connection.execute(text(
                "INSERT INTO password_reset_tokens (id, user_id, token_hash, created_at, expires_at)"
                f" VALUES ({n}, 1, '{n:064d}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ))
    upgrade(revision="b4d2e8f61a37")
    with db.engine.connect() as connection:
        live = connection.scalars(text("SELECT id FROM password_reset_tokens WHERE used_at IS NULL")).all()
    assert live == [3]
    downgrade(revision="7c1e4a9d2b60")


def test_the_pending_export_migration_keeps_only_the_newest_export_under_way(migration_app):
    """Before it a user could have many queued exports: the newest goes on, the older ones are failed and expired,
    so the one-pending-export index can be built."""
    upgrade(revision="b4d2e8f61a37")
    with db.engine.begin() as connection:
        insert_user(connection)
        for n, (status, created) in enumerate([("queued", "2026-01-01 10:00:00"), ("started", "2026-01-01 11:00:00"),
                                               ("queued", "2026-01-01 12:00:00"), ("finished", "2026-01-01 13:00:00")]):
            connection.execute(text(
                f"INSERT INTO exports (id, user_id, status, created_at) VALUES ('{n}', 1, '{status}', '{created}')"
            ))
    upgrade(revision="d81f3c5a9e02")
    with db.engine.connect() as connection:
        exports = connection.execute(text("SELECT id, status, expires_at IS NOT NULL FROM exports ORDER BY id")).all()
    assert [tuple(row) for row in exports] == [
        ("0", "failed", True), ("1", "failed", True), ("2", "queued", False), ("3", "finished", False),
    ]
    downgrade(revision="b4d2e8f61a37")
