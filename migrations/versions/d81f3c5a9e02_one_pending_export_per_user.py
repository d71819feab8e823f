"""One queued or started export per user (uq_exports_user_pending).

Exports that break it are settled first: a user's older queued or started exports are marked failed and expire
at once (their jobs skip them; the newest goes on).

Revision ID: d81f3c5a9e02
Revises: b4d2e8f61a37
Create Date: 2026-12-03 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd81f3c5a9e02'
down_revision = 'b4d2e8f61a37'
branch_labels = None
depends_on = None

PENDING = "status IN ('queued', 'started')"


def upgrade():
    op.execute(
        "UPDATE exports SET status = 'failed', error = 'Replaced by a newer export.',"
        " finished_at = CURRENT_TIMESTAMP, expires_at = CURRENT_TIMESTAMP"
        f" WHERE {PENDING} AND EXISTS ("
        " SELECT 1 FROM exports AS newer WHERE newer.user_id = exports.user_id"
        " AND newer.status IN ('queued', 'started') AND (newer.created_at > exports.created_at"
        " OR (newer.created_at = exports.created_at AND newer.id > exports.id)))"
    )
    op.create_index('uq_exports_user_pending', 'exports', ['user_id'], unique=True,
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))


def downgrade():
    op.drop_index('uq_exports_user_pending', table_name='exports')
