"""Group commit: wagers queued together share one transaction, each under its own
savepoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from streambet.domain.errors import InsufficientFunds, NotFound, StreamBetError, ValidationFailed
from streambet.services import markets, responsible, wallet
from streambet.services.unit_of_work import UnitOfWork
from streambet.services.wager_batches import WagerBatcher
from streambet.services.wagers import WagerOrder, WagerRead
from tests.support import wire
from tests.support.api import make_actor
from tests.support.betting import cat_market, collecting, fund, verify_ledger


def _batch(orders: list[WagerOrder]) -> list[tuple[WagerOrder, Future[WagerRead]]]:
    return [(o, Future()) for o in orders]


def _bettor_with_100_on_a_market(app: Flask) -> tuple[int, int, int]:
    """A bettor funded with 100, and a fresh YES/NO market: (user id, market id, YES id)."""
    op, b = make_actor(app, "operator"), make_actor(app)
    fund(app, b.user_id, 100)
    m = cat_market(app, op.principal)
    return b.user_id, m.id, m.outcomes[0].id


def _outcome(future: Future[WagerRead]) -> WagerRead | BaseException:
    exc = future.exception(timeout=0)
    return exc if exc is not None else future.result(timeout=0)


def test_a_refused_wager_leaves_the_rest_of_its_batch_placed(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    op, rich, poor = make_actor(app, "operator"), make_actor(app), make_actor(app)
    fund(app, rich.user_id, 100)
    fund(app, poor.user_id, 10)
    m = cat_market(app, op.principal, takeout_bp=0)
    yes, no = (o.id for o in m.outcomes)
    seen: list[tuple[str, dict[str, Any]]] = []
    batcher = WagerBatcher(collecting(app, seen))
    batch = _batch(
        [
            WagerOrder(rich.user_id, m.id, yes, 30, "k1"),
            WagerOrder(poor.user_id, m.id, no, 11),  # more than the balance
            WagerOrder(rich.user_id, m.id, yes, 30, "k1"),  # a retry inside the same batch
            WagerOrder(rich.user_id, m.id + 999, yes, 5),  # no such market
            WagerOrder(poor.user_id, m.id, no, 10),
        ]
    )
    batcher.run_batch(batch)
    first, too_much, retry, missing, last = (_outcome(f) for _, f in batch)
    assert isinstance(first, WagerRead) and first.balance == 70
    assert isinstance(too_much, InsufficientFunds)
    assert isinstance(retry, WagerRead) and retry.replayed and retry.id == first.id
    assert isinstance(missing, NotFound)
    assert isinstance(last, WagerRead) and last.balance == 0
    assert wallet.balance(w.read_uow(), rich.user_id) == 70
    assert wallet.balance(w.read_uow(), poor.user_id) == 0
    # one odds event for the market, after the commit, with both stakes in it
    assert [t for t, _ in seen] == ["market.odds"]
    assert {o["id"]: o["pool"] for o in seen[0][1]["outcomes"]} == {yes: 30, no: 10}
    assert verify_ledger(app) == []


class _CommitFailsOnce(UnitOfWork):
    failed = False

    def commit(self) -> None:
        if not _CommitFailsOnce.failed:
            _CommitFailsOnce.failed = True
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        super().commit()


def test_a_failed_batch_is_retried_one_wager_at_a_time(app: Flask) -> None:
    w = app.extensions["streambet"]
    bettor, market_id, yes = _bettor_with_100_on_a_market(app)
    batcher = WagerBatcher(lambda: _CommitFailsOnce(w.db.write_sessions))
    batch = _batch([WagerOrder(bettor, market_id, yes, 10, f"r{i}") for i in range(3)])
    batcher.run_batch(batch)
    placed = [f.result(timeout=0) for _, f in batch]
    assert [p.balance for p in placed] == [90, 80, 70]
    assert verify_ledger(app) == []


def test_concurrent_callers_each_get_their_own_wager(app: Flask) -> None:
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    bettors = [make_actor(app) for _ in range(4)]
    for b in bettors:
        fund(app, b.user_id, 50)
    m = cat_market(app, op.principal)
    yes = m.outcomes[0].id
    batcher = WagerBatcher(w.uow)
    results: dict[int, list[int | str]] = {b.user_id: [] for b in bettors}

    def bet(user_id: int) -> None:
        for _ in range(8):  # 8 x 7 > 50: the last ones are refused
            try:
                results[user_id].append(batcher.place(WagerOrder(user_id, m.id, yes, 7)).id)
            except InsufficientFunds:
                results[user_id].append("refused")

    threads = [threading.Thread(target=bet, args=(b.user_id,)) for b in bettors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    batcher.close()
    for placed in results.values():
        assert placed[7:] == ["refused"] and len(set(placed[:7])) == 7
    assert all(wallet.balance(w.read_uow(), b.user_id) == 1 for b in bettors)
    assert verify_ledger(app) == []


def test_an_invalid_order_is_refused_before_it_queues(app: Flask) -> None:
    batcher = WagerBatcher(app.extensions["streambet"].uow)
    with pytest.raises(ValidationFailed):
        batcher.place(WagerOrder(1, 1, 1, 0))
    assert batcher._thread is None  # nothing was queued, so no writer thread started


def test_a_failing_bus_loses_the_news_not_the_wagers(app: Flask) -> None:
    w = app.extensions["streambet"]
    bettor, market_id, yes = _bettor_with_100_on_a_market(app)

    def broken_bus(topic: str, payload: dict[str, Any]) -> None:
        raise ConnectionError("the event bus is down")

    batcher = WagerBatcher(lambda: UnitOfWork(w.db.write_sessions, broken_bus))
    first = batcher.place(WagerOrder(bettor, market_id, yes, 10))
    second = batcher.place(WagerOrder(bettor, market_id, yes, 10))  # the writer thread lives on
    batcher.close()
    assert (first.balance, second.balance) == (90, 80)
    assert verify_ledger(app) == []


def _refusal(outcome: WagerRead | BaseException) -> tuple[str, str, str]:
    assert isinstance(outcome, StreamBetError), outcome
    return type(outcome).__name__, outcome.code, str(outcome)


def test_every_refusal_reads_the_same_on_either_database(any_db_app: Flask) -> None:
    """PostgreSQL places a batch server-side (migration 0014); SQLite from Python. Each
    refusal, replay and reused key must answer alike, and a refusal write nothing."""
    app = any_db_app
    w = app.extensions["streambet"]
    op, rich, broke, banned = (
        make_actor(app, "operator"),
        make_actor(app),
        make_actor(app),
        make_actor(app),
    )
    unfunded = make_actor(app)
    fund(app, rich.user_id, 100)
    fund(app, broke.user_id, 5)
    fund(app, banned.user_id, 100)
    responsible.self_exclude(w.uow(), banned.user_id, 7)
    m = cat_market(app, op.principal, takeout_bp=0, min_stake=2, max_stake=50)
    later = cat_market(app, op.principal, opens_at=datetime.now(UTC) + timedelta(hours=1))
    shut = cat_market(app, op.principal)
    yes, no = (o.id for o in m.outcomes)
    first = WagerBatcher(w.uow)
    placed = first.place(WagerOrder(rich.user_id, shut.id, shut.outcomes[0].id, 10, "early"))
    first.close()
    markets.lock_market(w.uow(), shut.id, by=op.principal)
    batch = _batch(
        [
            WagerOrder(banned.user_id, m.id, yes, 10),
            WagerOrder(rich.user_id, m.id, later.outcomes[0].id, 10),
            WagerOrder(rich.user_id, later.id, later.outcomes[0].id, 10),
            WagerOrder(rich.user_id, shut.id, shut.outcomes[0].id, 10),
            WagerOrder(rich.user_id, m.id, yes, 51),
            WagerOrder(rich.user_id, m.id, yes, 1),
            WagerOrder(unfunded.user_id, m.id, yes, 10),
            WagerOrder(broke.user_id, m.id, no, 6),
            WagerOrder(rich.user_id, shut.id, shut.outcomes[0].id, 11, "early"),
            WagerOrder(rich.user_id, shut.id, shut.outcomes[0].id, 10, "early"),
            WagerOrder(rich.user_id, 2**31 - 1, yes, 10),
            WagerOrder(broke.user_id, m.id, no, 5, "last"),
        ]
    )
    WagerBatcher(w.uow).run_batch(batch)
    outcomes = [_outcome(f) for _, f in batch]
    *refused, reused, replay, missing, last = outcomes
    assert [_refusal(r)[:2] for r in refused] == [
        ("PermissionDenied", "self_excluded"),
        ("ValidationFailed", "validation_failed"),
        ("Conflict", "market_not_open"),
        ("Conflict", "market_not_open"),
        ("ValidationFailed", "validation_failed"),
        ("ValidationFailed", "validation_failed"),
        ("InsufficientFunds", "insufficient_funds"),
        ("InsufficientFunds", "insufficient_funds"),
    ]
    assert str(refused[1]) == "That outcome is not part of this market."
    assert str(refused[2]) == "This market has not opened yet."
    assert str(refused[3]) == "This market is locked; it takes no wagers."
    assert _refusal(reused)[1] == "idempotency_key_reused"
    assert isinstance(replay, WagerRead) and replay.replayed and replay.id == placed.id
    assert (replay.balance, replay.payout, replay.stake) == (90, None, 10)
    assert isinstance(missing, NotFound)
    assert isinstance(last, WagerRead) and not last.replayed and last.balance == 0
    assert wallet.balance(w.read_uow(), rich.user_id) == 90
    assert wallet.balance(w.read_uow(), banned.user_id) == 100
    assert verify_ledger(app) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_is_one_round_trip_on_postgresql(app: Flask) -> None:
    w = app.extensions["streambet"]
    bettor, market_id, yes = _bettor_with_100_on_a_market(app)
    with wire.traced(w.db.engine) as sent:  # BEGIN and COMMIT would be round trips too
        batch = _batch([WagerOrder(bettor, market_id, yes, 10, f"t{i}") for i in range(5)])
        WagerBatcher(lambda: UnitOfWork(w.db.write_sessions)).run_batch(batch)
    assert [f.result(timeout=0).balance for _, f in batch] == [90, 80, 70, 60, 50]
    assert sent.round_trips == 1, sent.lines
    assert sent.statements == 1 and sent.mentions("streambet_place_wagers")
    assert verify_ledger(app) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_that_fails_midway_writes_nothing_then_each_wager_is_placed_once(
    app: Flask,
) -> None:
    """The batch commits with its one statement: when the server fails it after writing a
    wager or two, none of it stays, so retrying the wagers one by one places each once."""
    w = app.extensions["streambet"]
    bettor, market_id, yes = _bettor_with_100_on_a_market(app)
    with w.db.engine.begin() as conn:  # the server refuses any wager of 13, as it writes it
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_13() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'no 13'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_13 BEFORE INSERT ON wager FOR EACH ROW"
            " WHEN (NEW.stake = 13) EXECUTE FUNCTION refuse_13()"
        )
    stakes = [10, 20, 13, 30]
    batch = _batch([WagerOrder(bettor, market_id, yes, st, f"f{st}") for st in stakes])
    WagerBatcher(lambda: UnitOfWork(w.db.write_sessions)).run_batch(batch)
    outcomes = [_outcome(f) for _, f in batch]
    assert "no 13" in str(outcomes[2])
    placed = [o for o in outcomes if isinstance(o, WagerRead)]
    assert [p.balance for p in placed] == [90, 70, 40]
    assert not any(p.replayed for p in placed)
    assert wallet.balance(w.read_uow(), bettor) == 40
    assert verify_ledger(app) == []
