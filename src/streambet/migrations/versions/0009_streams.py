"""streams: live streams with their live job's lease, analysed intervals, label events and
detection chunks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streambet.adapters.orm.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = streambet.adapters.orm.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "stream",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("lag_ms", sa.Integer(), nullable=True),
        sa.Column("dropped_samples", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=True),
        sa.Column("status_at", UTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", UTC(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app_user.id"],
            name=op.f("fk_stream_owner_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream")),
    )
    with op.batch_alter_table("stream", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stream_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stream_status"), ["status"], unique=False)

    op.create_table(
        "stream_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_stream_interval_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_interval")),
    )
    with op.batch_alter_table("stream_interval", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stream_interval_stream_from", ["stream_id", "from_ms"], unique=False
        )

    op.create_table(
        "stream_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("stream_ms", sa.BigInteger(), nullable=False),
        sa.Column("wall_ms", sa.BigInteger(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("frame_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_stream_event_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_event")),
    )
    with op.batch_alter_table("stream_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stream_event_stream_time", ["stream_id", "stream_ms"], unique=False
        )

    op.create_table(
        "stream_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["stream.id"],
            name=op.f("fk_stream_chunk_stream_id_stream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_chunk")),
    )
    with op.batch_alter_table("stream_chunk", schema=None) as batch_op:
        batch_op.create_index("ix_stream_chunk_stream_from", ["stream_id", "from_ms"], unique=False)


def downgrade() -> None:
    for table in ("stream_chunk", "stream_event", "stream_interval", "stream"):
        op.drop_table(table)
