"""twitch predictions: a stream's Twitch channel (token sealed) and each live market's
mirrored prediction

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streambet.adapters.orm.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "twitch_channel",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("broadcaster_id", sa.String(length=64), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column(
            "created_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_twitch_channel_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_twitch_channel")),
    )
    op.create_table(
        "twitch_prediction",
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("prediction_id", sa.String(length=64), nullable=True),
        sa.Column("outcome_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "updated_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
            name=op.f("fk_twitch_prediction_market_id_market"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_twitch_prediction_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("market_id", name=op.f("pk_twitch_prediction")),
    )
    with op.batch_alter_table("twitch_prediction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_twitch_prediction_stream_status", ["stream_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("twitch_prediction", schema=None) as batch_op:
        batch_op.drop_index("ix_twitch_prediction_stream_status")
    op.drop_table("twitch_prediction")
    op.drop_table("twitch_channel")
