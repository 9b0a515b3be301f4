"""payments: deposits, provider events, payout intents, deposit limits; birth date and
self-exclusion on accounts. The mock provider's payout_request table goes: its movements
stay in the ledger (deposit:<key>, withdrawal:<key>), which is what the money was.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:10:55.086620
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streambet.adapters.orm.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("credited", sa.BigInteger(), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("instructions", sa.JSON(), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column(
            "created_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "amount > 0 AND credited >= 0 AND credited <= amount", name=op.f("ck_deposit_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_deposit_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit")),
        sa.UniqueConstraint("provider", "provider_ref", name=op.f("uq_deposit_provider")),
    )
    with op.batch_alter_table("deposit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_status"), ["status"], unique=False)
        batch_op.create_index("ix_deposit_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "deposit_limit",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("next_amount", sa.BigInteger(), nullable=True),
        sa.Column(
            "next_from", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_deposit_limit_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "period", name=op.f("pk_deposit_limit")),
    )
    op.create_table(
        "payout_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("destination", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payout_intent_amount_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_payout_intent_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_payout_intent_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_intent")),
    )
    with op.batch_alter_table("payout_intent", schema=None) as batch_op:
        batch_op.create_index("ix_payout_intent_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payout_intent_provider_ref"), ["provider_ref"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payout_intent_user_id"), ["user_id"], unique=False)

    op.create_table(
        "payment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column("deposit_id", sa.Integer(), nullable=True),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "received_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"], ["deposit.id"], name=op.f("fk_payment_event_deposit_id_deposit")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["payout_intent.id"],
            name=op.f("fk_payment_event_payout_id_payout_intent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_event")),
        sa.UniqueConstraint("provider", "event_key", name=op.f("uq_payment_event_provider")),
    )
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_event_provider_ref"), ["provider_ref"], unique=False
        )

    with op.batch_alter_table("payout_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_request_status"))
        batch_op.drop_index(batch_op.f("ix_payout_request_user_id"))

    op.drop_table("payout_request")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "excluded_until",
                streambet.adapters.orm.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("excluded_until")
        batch_op.drop_column("birth_date")

    op.create_table(
        "payout_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "completed_at", streambet.adapters.orm.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_payout_request_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_request")),
        sa.UniqueConstraint("key", name=op.f("uq_payout_request_key")),
    )
    with op.batch_alter_table("payout_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_request_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_request_status"), ["status"], unique=False)

    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_event_provider_ref"))

    op.drop_table("payment_event")
    with op.batch_alter_table("payout_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_intent_user_id"))
        batch_op.drop_index(batch_op.f("ix_payout_intent_provider_ref"))
        batch_op.drop_index("ix_payout_intent_due")

    op.drop_table("payout_intent")
    op.drop_table("deposit_limit")
    with op.batch_alter_table("deposit", schema=None) as batch_op:
        batch_op.drop_index("ix_deposit_user_created")
        batch_op.drop_index(batch_op.f("ix_deposit_status"))

    op.drop_table("deposit")
