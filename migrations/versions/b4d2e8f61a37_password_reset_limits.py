"""Password-reset limits: one live reset token per user, and a record of reset requests (the per-email mail
limit).

Tokens that break the new unique index are settled first: a user's older unused reset tokens are voided (the
newest stays usable).

Revision ID: b4d2e8f61a37
Revises: 7c1e4a9d2b60
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b4d2e8f61a37'
down_revision = '7c1e4a9d2b60'
branch_labels = None
depends_on = None

UNUSED = "used_at IS NULL"


def upgrade():
    op.execute(
        "UPDATE password_reset_tokens SET used_at = CURRENT_TIMESTAMP WHERE used_at IS NULL AND EXISTS ("
        " SELECT 1 FROM password_reset_tokens AS newer WHERE newer.user_id = password_reset_tokens.user_id"
        " AND newer.used_at IS NULL AND newer.id > password_reset_tokens.id)"
    )
    op.create_index('uq_password_reset_tokens_live', 'password_reset_tokens', ['user_id'], unique=True,
                    sqlite_where=sa.text(UNUSED), postgresql_where=sa.text(UNUSED))

    op.create_table('password_reset_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('mailed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests'))
    )
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_password_reset_requests_email_created', ['email_digest', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_password_reset_requests_email_created')
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_created_at'))
    op.drop_table('password_reset_requests')
    op.drop_index('uq_password_reset_tokens_live', table_name='password_reset_tokens')
