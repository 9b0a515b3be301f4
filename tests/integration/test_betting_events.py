"""Odds and status changes are published with the market id (list-collecting fake bus)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from streambet.services import markets, settlement, wagers
from streambet.services.demo_market import ensure_demo_market
from tests.support.api import make_actor
from tests.support.betting import Vocabulary, cat_market, fund


def test_odds_and_status_events(app: Flask) -> None:
    w = app.extensions["streambet"]
    seen: list[tuple[str, dict[str, Any]]] = []

    def publish(topic: str, payload: dict[str, Any]) -> None:
        seen.append((topic, payload))

    op, b = make_actor(app, "operator"), make_actor(app)
    fund(app, b.user_id, 100)
    m = cat_market(app, op.user_id, takeout_bp=0, publish=publish)
    yes, no = (o.id for o in m.outcomes)
    with w.uow() as uow:
        wagers.place_wager(uow, b.user_id, m.id, yes, 30, publish=publish)
    with w.uow() as uow:
        markets.lock_market(uow, m.id, publish=publish)
    with w.uow() as uow:
        settlement.cancel_market(uow, m.id, op.user_id, publish=publish)
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


def test_demo_market_is_seeded_once(app: Flask) -> None:
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    with w.uow() as uow:
        first, created = ensure_demo_market(uow, Vocabulary(), op.user_id)
    with w.uow() as uow:
        again, created_again = ensure_demo_market(uow, Vocabulary(), op.user_id)
    assert created and not created_again and first.id == again.id
    assert first.outcomes[0].criteria is not None and first.outcomes[0].criteria["label"] == "Cat"
