"""Live markets settle from what the live job stored about their window: early YES on a
qualifying label event, NO once the window is covered (and its samples surely stored),
review on the confidence band, and a gap in coverage decided by the market's rule (review,
or void with every stake refunded), exactly once however many workers race."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from streambet.adapters.orm.betting import Settlement
from streambet.domain.live_markets import SAMPLES_SETTLE_MS, GapRule
from streambet.services import live_settlement, settlement, wallet
from streambet.services.live_markets import get_live_market, now_ms
from streambet.services.live_settlement import LiveSettlementPolicy
from streambet.services.settlement import SettlementPolicy
from tests.support.api import make_actor
from tests.support.betting import Vocabulary, bet, fund, verify_ledger
from tests.support.live_markets import chunk, cover, detect, make_stream, person_market

POLICY = LiveSettlementPolicy(SettlementPolicy(dispute_window=timedelta(0)), timeout_ms=90_000)


def settle(app: Flask, market_id: int, at: int) -> str | None:
    w = app.extensions["streambet"]
    return live_settlement.settle_live_market(w.uow, market_id, Vocabulary(), POLICY, now=at)


def pay(app: Flask, market_id: int) -> None:
    w = app.extensions["streambet"]
    settlement.finalize_market(w.uow(), market_id)


class Setup:
    def __init__(self, app: Flask, gap_rule: GapRule = GapRule.REVIEW) -> None:
        self.app = app
        self.op = make_actor(app, "operator")
        self.yes, self.no = make_actor(app), make_actor(app)
        for b in (self.yes, self.no):
            fund(app, b.user_id, 100)
        self.stream = make_stream(app, self.op.user_id)
        self.t0 = now_ms()
        self.a, self.b = self.t0 + 60_000, self.t0 + 120_000  # the window: a minute
        self.market = person_market(
            app, self.op.principal, self.stream, self.a, self.b, gap_rule=gap_rule
        ).market
        yes_id, no_id = (o.id for o in self.market.outcomes)
        bet(app, self.yes.principal, self.market.id, yes_id, 60)
        bet(app, self.no.principal, self.market.id, no_id, 40)
        self.yes_id, self.no_id = yes_id, no_id

    def balances(self) -> tuple[int, int]:
        w = self.app.extensions["streambet"]
        return (
            wallet.balance(w.read_uow(), self.yes.user_id),
            wallet.balance(w.read_uow(), self.no.user_id),
        )

    def status(self) -> Any:
        w = self.app.extensions["streambet"]
        return get_live_market(w.read_uow(), self.market.id)


def test_early_yes_on_a_qualifying_detection(any_db_app: Flask) -> None:
    s = Setup(any_db_app)
    cover(any_db_app, s.stream, s.a - 10_000, s.a + 15_000)  # the job is still watching
    assert settle(any_db_app, s.market.id, s.a + 14_000) is None  # nothing yet: wait
    assert s.status().live.evidence_frames == []
    detect(any_db_app, s.stream, s.a + 20_000, "Person", 60.0)  # below the bar: no YES
    cover(any_db_app, s.stream, s.a + 15_000, s.a + 31_000)
    assert settle(any_db_app, s.market.id, s.a + 30_000) is None
    detect(any_db_app, s.stream, s.a + 30_000, "Person", 93.0, kind="update")
    # Decided at once, half a minute before the window ends.
    assert settle(any_db_app, s.market.id, s.a + 31_000) == "resolved"
    read = s.status()
    assert read.market.winning_outcome_id == s.yes_id
    assert read.market.settlement is not None
    evidence = read.market.settlement.evidence or {}
    detections = evidence["outcomes"][0]["detections"]
    assert [d["timestamp_ms"] for d in detections] == [30_000]  # from the window's start
    assert [f.stream_ms for f in read.live.evidence_frames] == [s.a + 30_000, s.a + 20_000]
    assert settle(any_db_app, s.market.id, s.a + 32_000) is None  # exactly once
    pay(any_db_app, s.market.id)
    assert s.balances() == (140, 60)
    assert verify_ledger(any_db_app) == []


def test_a_detection_outside_the_window_does_not_count(any_db_app: Flask) -> None:
    s = Setup(any_db_app)
    cover(any_db_app, s.stream, s.a - 10_000, s.b + SAMPLES_SETTLE_MS)
    detect(any_db_app, s.stream, s.a - 1, "Person", 99.0)
    detect(any_db_app, s.stream, s.b, "Person", 99.0)
    assert settle(any_db_app, s.market.id, s.b + SAMPLES_SETTLE_MS) == "resolved"
    assert s.status().market.winning_outcome_id == s.no_id


def test_no_only_once_the_whole_window_is_covered_and_stored(any_db_app: Flask) -> None:
    s = Setup(any_db_app)
    chunk(any_db_app, s.stream, [(s.a + 5_000, "Person", 30.0), (s.a + 9_000, "Car", 90.0)])
    cover(any_db_app, s.stream, s.a - 5_000, s.b + 5_000)
    # Analysed past the end, but its last samples may not be stored yet.
    assert settle(any_db_app, s.market.id, s.b + 5_000) is None
    cover(any_db_app, s.stream, s.b + 5_000, s.b + SAMPLES_SETTLE_MS)
    assert settle(any_db_app, s.market.id, s.b + SAMPLES_SETTLE_MS) == "resolved"
    read = s.status()
    assert read.market.winning_outcome_id == s.no_id
    pay(any_db_app, s.market.id)
    assert s.balances() == (40, 160)
    assert verify_ledger(any_db_app) == []


def test_a_sighting_between_floor_and_bar_goes_to_review(any_db_app: Flask) -> None:
    s = Setup(any_db_app)
    chunk(any_db_app, s.stream, [(s.a + 5_000, "Person", 65.0)])
    cover(any_db_app, s.stream, s.a, s.b + SAMPLES_SETTLE_MS)
    assert settle(any_db_app, s.market.id, s.b + SAMPLES_SETTLE_MS) == "review"


def test_a_gap_in_the_window_goes_to_review(any_db_app: Flask) -> None:
    s = Setup(any_db_app)
    cover(any_db_app, s.stream, s.a - 5_000, s.a + 20_000)  # its worker died here
    assert settle(any_db_app, s.market.id, s.a + 40_000) is None  # it may yet resume
    cover(any_db_app, s.stream, s.a + 50_000, s.b + SAMPLES_SETTLE_MS)  # taken over
    assert settle(any_db_app, s.market.id, s.a + 51_000) == "review"
    read = s.status()
    assert read.market.status == "review"
    assert read.market.settlement is not None and read.market.settlement.decision == "review"


def test_a_gap_voids_the_market_by_its_rule(any_db_app: Flask) -> None:
    s = Setup(any_db_app, GapRule.VOID)
    cover(any_db_app, s.stream, s.a - 5_000, s.a + 20_000, end_reason="source lost: EOF")
    cover(any_db_app, s.stream, s.a + 50_000, s.a + 52_000)
    assert settle(any_db_app, s.market.id, s.a + 52_000) == "void"
    read = s.status()
    assert read.market.status == "canceled"
    assert read.market.settlement is not None and read.market.settlement.decision == "void"
    assert s.balances() == (100, 100)  # refunded at once
    assert verify_ledger(any_db_app) == []


def test_a_detection_decides_despite_a_gap(any_db_app: Flask) -> None:
    s = Setup(any_db_app, GapRule.VOID)
    cover(any_db_app, s.stream, s.a - 5_000, s.a + 20_000)
    cover(any_db_app, s.stream, s.a + 50_000, s.a + 56_000)
    detect(any_db_app, s.stream, s.a + 55_000, "Person", 97.0)
    assert settle(any_db_app, s.market.id, s.a + 56_000) == "resolved"
    assert s.status().market.winning_outcome_id == s.yes_id


def test_a_window_never_watched_times_out_to_its_rule(any_db_app: Flask) -> None:
    s = Setup(any_db_app, GapRule.VOID)
    assert settle(any_db_app, s.market.id, s.b + POLICY.timeout_ms - 1) is None
    assert settle(any_db_app, s.market.id, s.b + POLICY.timeout_ms) == "void"


def test_racing_workers_settle_once(any_db_app: Flask) -> None:
    """A worker killed during the window left a gap; the new worker's events arrive and
    several workers sweep at once: one settlement, one payout."""
    s = Setup(any_db_app)
    w = any_db_app.extensions["streambet"]
    cover(any_db_app, s.stream, s.a - 5_000, s.a + 10_000)  # the killed worker's interval
    cover(any_db_app, s.stream, s.a + 40_000, s.a + 46_000)  # the new worker's
    detect(any_db_app, s.stream, s.a + 45_000, "Person", 96.0)
    results: list[Any] = []
    start = threading.Barrier(4)

    def race() -> None:
        start.wait()
        results.append(
            live_settlement.sweep_live(
                w.uow, w.read_uow, Vocabulary(), POLICY, now=s.a + 46_000
            ).settled
        )

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m for r in results for m in r) == [s.market.id]
    with w.read_uow() as uow:
        count = uow.session.scalar(select(func.count()).where(Settlement.market_id == s.market.id))
    assert count == 1
    assert s.status().market.winning_outcome_id == s.yes_id
    for _ in range(2):
        pay(any_db_app, s.market.id)
    assert s.balances() == (140, 60)
    assert verify_ledger(any_db_app) == []


@pytest.mark.parametrize("rule", [GapRule.REVIEW, GapRule.VOID])
def test_a_canceled_market_is_left_alone(app: Flask, rule: GapRule) -> None:
    s = Setup(app, rule)
    w = app.extensions["streambet"]
    settlement.cancel_market(w.uow(), s.market.id, s.op.principal, reason="stream moved")
    assert settle(app, s.market.id, s.b + POLICY.timeout_ms) is None
    assert live_settlement.due_live_markets(w.read_uow, s.b + POLICY.timeout_ms) == []
