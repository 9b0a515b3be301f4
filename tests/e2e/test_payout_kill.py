"""Payouts happen exactly once even when the process paying them is killed halfway: a real
subprocess is SIGKILLed in the middle of the payout transaction, then payout runs again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from streambet.adapters.orm.betting import LedgerEntry, Market
from streambet.services import markets, settlement, wallet
from streambet.services.settlement import SettlementPolicy
from tests.support.api import make_actor
from tests.support.betting import bet, cat_market, fund, verify_ledger
from tests.support.kill import kill_at


@pytest.mark.slow
@pytest.mark.parametrize(
    "stage", ["payout pool legs written", "payout wallet legs written", "ready to commit"]
)
def test_killed_mid_payout_pays_exactly_once(any_db_app: Flask, stage: str) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    bettors = [make_actor(app) for _ in range(3)]
    for b in bettors:
        fund(app, b.user_id, 1_000)
    m = cat_market(app, op.principal, takeout_bp=700)
    yes, no = (o.id for o in m.outcomes)
    for b, outcome, stake in zip(bettors, (yes, yes, no), (333, 250, 417), strict=True):
        bet(app, b.principal, m.id, outcome, stake)
    markets.lock_market(w.uow(), m.id, by=None)
    settlement.resolve_manually(w.uow(), m.id, yes, op.principal, SettlementPolicy())

    kill_at(
        app,
        stage,
        f"""
        from datetime import datetime, timedelta, UTC
        from streambet.services import settlement
        settlement.finalize_market(
            w.uow(), {m.id}, now=datetime.now(UTC) + timedelta(hours=1), checkpoint=checkpoint
        )
        """,
    )

    def balances() -> list[int]:
        return [wallet.balance(w.read_uow(), b.user_id) for b in bettors]

    # Nothing of the killed payout survived.
    with w.read_uow() as uow:
        assert uow.session.scalar(select(Market.paid_at).where(Market.id == m.id)) is None
        paid_legs = uow.session.scalar(
            select(func.count()).where(LedgerEntry.market_id == m.id, LedgerEntry.kind == "payout")
        )
        assert paid_legs == 0
    assert balances() == [667, 750, 583]
    assert verify_ledger(app) == []

    later = datetime.now(UTC) + timedelta(hours=1)
    summary = settlement.finalize_market(w.uow(), m.id, now=later)
    assert summary is not None
    # gross 1000, takeout 70, net 930 over 583 on YES: 930*333//583 = 531, 930*250//583 = 398
    assert (summary.takeout, summary.paid, summary.breakage) == (70, 929, 1)
    assert settlement.finalize_market(w.uow(), m.id, now=later) is None
    assert balances() == [667 + 531, 750 + 398, 583]
    assert verify_ledger(app) == []
