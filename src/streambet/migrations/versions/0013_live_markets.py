"""live markets: a market's window on a stream, in-play wagers held for their bet delay,
and recurring market templates (one market per template and period)

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03 13:12:51.347695
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streambet.adapters.orm.base

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=False),
        sa.Column("every_ms", sa.BigInteger(), nullable=False),
        sa.Column("window_ms", sa.BigInteger(), nullable=False),
        sa.Column("lead_ms", sa.BigInteger(), nullable=False),
        sa.Column("anchor_ms", sa.BigInteger(), nullable=False),
        sa.Column("gap_rule", sa.String(length=8), nullable=False),
        sa.Column("takeout_bp", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_market_template_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_market_template_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_template")),
    )
    with op.batch_alter_table("market_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_market_template_active"), ["active"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_market_template_stream_id"), ["stream_id"], unique=False
        )

    op.create_table(
        "held_wager",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("stake", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("placed_ms", sa.BigInteger(), nullable=False),
        sa.Column("accept_after_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("wager_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "decided_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_held_wager_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
            name=op.f("fk_held_wager_market_id_market"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["market_outcome.id"],
            name=op.f("fk_held_wager_outcome_id_market_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_held_wager_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_wager")),
        sa.UniqueConstraint("user_id", "idempotency_key", name=op.f("uq_held_wager_user_id")),
    )
    with op.batch_alter_table("held_wager", schema=None) as batch_op:
        batch_op.create_index("ix_held_wager_market_status", ["market_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_held_wager_user_id"), ["user_id"], unique=False)

    op.create_table(
        "live_market",
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("window_from_ms", sa.BigInteger(), nullable=False),
        sa.Column("window_until_ms", sa.BigInteger(), nullable=False),
        sa.Column("in_play", sa.Boolean(), nullable=False),
        sa.Column("bet_delay_ms", sa.Integer(), nullable=False),
        sa.Column("gap_rule", sa.String(length=8), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.BigInteger(), nullable=True),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("estimate_basis", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
            name=op.f("fk_live_market_market_id_market"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_live_market_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["market_template.id"],
            name=op.f("fk_live_market_template_id_market_template"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("market_id", name=op.f("pk_live_market")),
        sa.UniqueConstraint("template_id", "period", name=op.f("uq_live_market_template_id")),
    )
    with op.batch_alter_table("live_market", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_market_settled"), ["settled"], unique=False)
        batch_op.create_index(
            "ix_live_market_stream_window", ["stream_id", "window_until_ms"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("live_market", schema=None) as batch_op:
        batch_op.drop_index("ix_live_market_stream_window")
        batch_op.drop_index(batch_op.f("ix_live_market_settled"))

    op.drop_table("live_market")
    with op.batch_alter_table("held_wager", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_wager_user_id"))
        batch_op.drop_index("ix_held_wager_market_status")

    op.drop_table("held_wager")
    with op.batch_alter_table("market_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_template_stream_id"))
        batch_op.drop_index(batch_op.f("ix_market_template_active"))

    op.drop_table("market_template")
