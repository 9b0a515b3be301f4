"""The dispute window: disputes inside it, rulings, payouts only when it closes or an admin
decides, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from streambet.domain.errors import Conflict, PermissionDenied
from streambet.services import disputes, markets, settlement, wallet
from streambet.services.settlement import SettlementPolicy
from tests.support.api import make_actor
from tests.support.betting import bet, cat_market, fund, sample, timeline, verify_ledger

T0 = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = SettlementPolicy(dispute_window=timedelta(minutes=10))


@pytest.fixture
def resolved(any_db_app: Flask) -> dict:
    """A market resolved YES from evidence at T0: a (YES, 100) and b (NO, 300) have stakes."""
    app = any_db_app
    w = app.extensions["streambet"]
    op, admin = make_actor(app, "operator"), make_actor(app, "admin")
    a, b, c = make_actor(app), make_actor(app), make_actor(app)
    for x in (a, b, c):
        fund(app, x.user_id, 1_000)
    m = cat_market(app, op.principal, takeout_bp=0)
    yes, no = (o.id for o in m.outcomes)
    bet(app, a.principal, m.id, yes, 100)
    bet(app, b.principal, m.id, no, 300)
    result = settlement.settle_with_timeline(
        w.uow(), m.id, timeline([sample(1000, "Cat", 97)]), POLICY, now=T0
    )
    assert result.market.status == "resolved" and result.market.winning_outcome_id == yes
    return {
        "app": app,
        "w": w,
        "m": m,
        "yes": yes,
        "no": no,
        "a": a,
        "b": b,
        "c": c,
        "admin": admin,
    }


def _balances(r: dict) -> tuple[int, int]:
    return wallet.balance(r["w"].read_uow(), r["a"].user_id), wallet.balance(
        r["w"].read_uow(), r["b"].user_id
    )


def test_undisputed_market_pays_only_after_the_window(resolved: dict) -> None:
    r = resolved
    assert (
        settlement.finalize_market(r["w"].uow(), r["m"].id, now=T0 + timedelta(minutes=9)) is None
    )
    assert _balances(r) == (900, 700)
    summary = settlement.finalize_market(r["w"].uow(), r["m"].id, now=T0 + timedelta(minutes=10))
    assert summary is not None and summary.paid == 400
    assert _balances(r) == (1300, 700)
    assert settlement.finalize_market(r["w"].uow(), r["m"].id, now=T0 + timedelta(hours=1)) is None
    assert _balances(r) == (1300, 700)
    assert verify_ledger(r["app"]) == []


def test_only_stakeholders_dispute_and_only_inside_the_window(resolved: dict) -> None:
    r = resolved
    with pytest.raises(PermissionDenied):
        disputes.open_dispute(r["w"].uow(), r["m"].id, r["c"].user_id, "no stake", now=T0)
    with pytest.raises(Conflict) as late:
        disputes.open_dispute(
            r["w"].uow(), r["m"].id, r["b"].user_id, "late", now=T0 + timedelta(minutes=10)
        )
    assert late.value.code == "dispute_window_closed"
    d = disputes.open_dispute(r["w"].uow(), r["m"].id, r["b"].user_id, "that was a fox", now=T0)
    assert d.status == "open"
    with pytest.raises(Conflict):
        disputes.open_dispute(r["w"].uow(), r["m"].id, r["b"].user_id, "again", now=T0)
    # A disputed market does not pay when the window closes.
    assert settlement.finalize_market(r["w"].uow(), r["m"].id, now=T0 + timedelta(hours=1)) is None
    assert _balances(r) == (900, 700)


def test_overturned_dispute_pays_the_other_side_once(resolved: dict) -> None:
    r = resolved
    d = disputes.open_dispute(r["w"].uow(), r["m"].id, r["b"].user_id, "that was a fox", now=T0)
    ruled = disputes.decide_dispute(
        r["w"].uow(), d.id, r["admin"].user_id, disputes.Ruling(False, r["no"], "fox indeed")
    )
    assert ruled.status == "overturned"
    assert _balances(r) == (900, 1100)
    with pytest.raises(Conflict):
        disputes.decide_dispute(r["w"].uow(), d.id, r["admin"].user_id, disputes.Ruling(True))
    v = markets.get_market(r["w"].uow(), r["m"].id)
    assert v.status == "resolved" and v.winning_outcome_id == r["no"] and v.paid_at_ms is not None
    assert v.settlement is not None and v.settlement.source == "dispute"
    assert verify_ledger(r["app"]) == []


def test_upheld_resolution_pays_at_once(resolved: dict) -> None:
    r = resolved
    d = disputes.open_dispute(r["w"].uow(), r["m"].id, r["b"].user_id, "hmm", now=T0)
    disputes.decide_dispute(
        r["w"].uow(), d.id, r["admin"].user_id, disputes.Ruling(True, note="cat")
    )
    assert _balances(r) == (1300, 700)


def test_overturn_to_void_refunds(resolved: dict) -> None:
    r = resolved
    d = disputes.open_dispute(r["w"].uow(), r["m"].id, r["a"].user_id, "camera was off", now=T0)
    disputes.decide_dispute(r["w"].uow(), d.id, r["admin"].user_id, disputes.Ruling(False, None))
    assert _balances(r) == (1000, 1000)
    assert markets.get_market(r["w"].uow(), r["m"].id).status == "canceled"
    assert verify_ledger(r["app"]) == []
