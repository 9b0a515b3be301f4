"""Cancels racing wagers on PostgreSQL never deadlock (issue 12, item 11): wagers are
group-committed (a batch stakes on several markets in one transaction, taking each market's
row and each wallet's), and a cancel refunds every wallet with a stake on its market. Two
batchers stand in for two gunicorn workers. Every answer is a wager, a refusal of the
domain (market closed, no funds), or a cancel: never a database error."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from streambet.domain.errors import StreamBetError
from streambet.services import settlement, wagers
from streambet.services.wager_batches import WagerBatcher
from tests.support.api import Actor, make_actor
from tests.support.betting import cat_market, fund, verify_ledger

MARKETS = 12
BETTORS = 10
WAGERS = 600


def test_cancels_and_wagers_do_not_deadlock(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    bettors: list[Actor] = [make_actor(app) for _ in range(BETTORS)]
    for b in bettors:
        fund(app, b.user_id, 100_000)
    markets = [cat_market(app, op.principal) for _ in range(MARKETS)]
    batchers = [WagerBatcher(w.uow), WagerBatcher(w.uow)]
    failures: list[BaseException] = []
    refused: list[StreamBetError] = []
    lock = threading.Lock()
    rng = random.Random(12)
    orders = [
        (rng.choice(bettors), rng.choice(markets), rng.randrange(2), i) for i in range(WAGERS)
    ]

    def stake(order: tuple[Actor, Any, int, int]) -> None:
        bettor, market, side, i = order
        try:
            wagers.place_wager(
                batchers[i % 2].place,
                bettor.principal,
                market.id,
                market.outcomes[side].id,
                1 + i % 5,
            )
        except StreamBetError as exc:
            with lock:
                refused.append(exc)
        except BaseException as exc:
            with lock:
                failures.append(exc)

    def cancel(market: Any) -> None:
        try:
            settlement.cancel_market(w.uow(), market.id, op.principal, reason="race")
        except BaseException as exc:
            with lock:
                failures.append(exc)

    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            jobs = [pool.submit(stake, o) for o in orders]
            for k, market in enumerate(markets):  # cancels land among the wagers
                jobs.insert(k * (WAGERS // MARKETS), pool.submit(cancel, market))
            for job in jobs:
                job.result()
    finally:
        for batcher in batchers:
            batcher.close()
    assert failures == [], failures[:3]
    assert all(e.code in ("market_not_open",) for e in refused), {e.code for e in refused}
    assert verify_ledger(app) == []
    for b in bettors:  # every market canceled: every stake came back
        assert wagers.my_wagers(w.read_uow(), b.user_id, limit=1000) is not None
    from streambet.services import wallet

    assert [wallet.balance(w.read_uow(), b.user_id) for b in bettors] == [100_000] * BETTORS
