"""Validators kept by the server: catalogue_version, users.profile_version, collections.version.

Revision ID: f2b8d4a6c913
Revises: e5a7c3b91f04
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b8d4a6c913'
down_revision = 'e5a7c3b91f04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'catalogue_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_version')),
    )
    # Plain ADD COLUMN with a constant default: no table rewrite on PostgreSQL 11+, and no batch copy on SQLite
    # (which would lose the expression index on users).
    op.add_column('users', sa.Column('profile_version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('collections', sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    op.drop_column('collections', 'version')  # SQLite 3.35+ drops a column in place
    op.drop_column('users', 'profile_version')
    op.drop_table('catalogue_version')
