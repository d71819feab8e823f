"""ix_activities_created covers actor_id and public (PostgreSQL), for the following feed's index-only scan.

Built CONCURRENTLY under a temporary name and swapped in, so writes to activities are not blocked while a large
table is indexed. SQLite has no INCLUDE: nothing changes there.

Revision ID: 7c1e4a9d2b60
Revises: 53f2249f1bae
Create Date: 2026-11-25 03:20:00

"""
from alembic import op


revision = '7c1e4a9d2b60'
down_revision = '53f2249f1bae'
branch_labels = None
depends_on = None


def _rebuild(include):
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_activities_created_next")
        op.execute(
            "CREATE INDEX CONCURRENTLY ix_activities_created_next ON activities (created_at, id)" + include
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_activities_created")
        op.execute("ALTER INDEX ix_activities_created_next RENAME TO ix_activities_created")


def upgrade():
    _rebuild(" INCLUDE (actor_id, public)")


def downgrade():
    _rebuild("")
