"""Odds and status changes are announced with the market id, by the unit of work once it
commits (a list-collecting fake bus); a rollback announces nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from streambet.domain.errors import Conflict
from streambet.services import analyses, demo, markets, settlement, sweeper
from streambet.services.demo_market import find_demo_market, seed_demo
from streambet.services.wager_batches import WagerBatcher
from streambet.services.wagers import WagerOrder
from tests.support.api import make_actor
from tests.support.betting import Vocabulary, cat_market, collecting, fund


def test_odds_and_status_events(app: Flask) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    uow = collecting(app, seen)
    op, b = make_actor(app, "operator"), make_actor(app)
    fund(app, b.user_id, 100)
    m = cat_market(app, op.principal, uow, takeout_bp=0)
    yes, no = (o.id for o in m.outcomes)
    batcher = WagerBatcher(uow)
    try:
        batcher.place(WagerOrder(b.user_id, m.id, yes, 30))
    finally:
        batcher.close()
    markets.lock_market(uow(), m.id, by=op.principal)
    settlement.cancel_market(uow(), m.id, op.principal)
    assert [t for t, _ in seen] == [
        "market.status",
        "market.odds",
        "market.status",
        "market.status",
    ]
    assert all(p["market_id"] == m.id for _, p in seen)
    assert seen[1][1]["outcomes"] == [
        {"id": yes, "pool": 30, "odds": 1.0},
        {"id": no, "pool": 0, "odds": None},
    ]
    assert [p["status"] for t, p in seen if t == "market.status"] == ["open", "locked", "canceled"]


def test_a_use_case_that_fails_announces_nothing(app: Flask) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    uow = collecting(app, seen)
    op = make_actor(app, "operator")
    m = cat_market(app, op.principal, uow)
    markets.lock_market(uow(), m.id, by=op.principal)
    seen.clear()
    with pytest.raises(Conflict):  # locked already: the transition is refused mid-way
        markets.lock_market(uow(), m.id, by=op.principal)
    assert seen == []
    with uow() as tx:  # emitted, never committed
        tx.emit("market.status", {"market_id": m.id})
    assert seen == []


def test_a_failing_bus_loses_the_news_not_the_change(app: Flask) -> None:
    from streambet.services.unit_of_work import UnitOfWork

    def broken(topic: str, payload: dict[str, Any]) -> None:
        raise ConnectionError("bus down")

    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    m = cat_market(app, op.principal, lambda: UnitOfWork(w.db.write_sessions, broken))
    assert markets.get_market(w.read_uow(), m.id).status == "open"


def test_demo_market_is_seeded_once(app: Flask) -> None:
    w = app.extensions["streambet"]
    submitted: list[str] = []

    def submit(who: Any, name: str, chunks: Any) -> str:  # as `streambet demo seed` does
        state = analyses.submit(
            w.uow, w.storage, w.queue, w.upload_policy, who, name, chunks, {}, hold=True
        )
        submitted.append(state.id)
        return state.id

    assert find_demo_market(w.read_uow()) is None
    first = seed_demo(w.uow, Vocabulary(), submit, credit=100)
    again = seed_demo(w.uow, Vocabulary(), submit, credit=100)
    assert len(first.created) == 4 and again.created == []  # admin, operator, two bettors
    assert first.created[0].principal.role == "admin"
    assert first.market.id == again.market.id and len(submitted) == 1
    assert first.market.analysis_id == submitted[0]
    assert first.market.disclosure is None  # opened before the engine saw the clip
    criteria = first.market.outcomes[0].criteria
    assert criteria is not None and criteria["label"] == "Cat"
    # Under the default policy: held until the market locks, then analysed and settled.
    assert analyses.get_state(w.read_uow(), submitted[0]).status == "held"  # type: ignore[union-attr]
    operator = demo.ensure_demo_operator(w.uow())
    markets.lock_market(w.uow(), first.market.id, by=operator)
    report = sweeper.sweep(
        w.uow, w.read_uow, w.timelines, w.settlement_policy, w.payments.payouts, queue=w.queue
    )
    assert report.started == submitted
    assert analyses.get_state(w.read_uow(), submitted[0]).status == "succeeded"  # type: ignore[union-attr]
    again_report = sweeper.sweep(
        w.uow, w.read_uow, w.timelines, w.settlement_policy, w.payments.payouts, queue=w.queue
    )
    assert first.market.id in report.settled + again_report.settled
    assert markets.get_market(w.read_uow(), first.market.id).status in ("resolved", "review")
