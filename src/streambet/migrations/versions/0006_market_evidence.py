"""what settles a market (engine | client), and whether its footage was analysed first

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("market", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evidence", sa.String(length=16), nullable=False, server_default="engine")
        )
        batch_op.add_column(
            sa.Column(
                "footage_analysed_before_open",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("market", schema=None) as batch_op:
        batch_op.drop_column("footage_analysed_before_open")
        batch_op.drop_column("evidence")
