"""evidence frames

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_frames", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("evidence_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis", schema=None) as batch_op:
        batch_op.drop_column("evidence_seconds")
        batch_op.drop_column("evidence_frames")
