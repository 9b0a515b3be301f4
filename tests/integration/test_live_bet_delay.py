"""In-play markets: a wager waits out the bet delay; one whose delay covers a qualifying
detection is refused and its stake returned, one placed well before it is accepted, and
the ledger verifies after a race of wagers around a detection."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from flask import Flask

from streambet.domain.errors import Conflict, InsufficientFunds
from streambet.domain.live_markets import Hold
from streambet.services import bet_delay, live_settlement, settlement, wallet
from streambet.services.live_markets import now_ms
from streambet.services.live_settlement import LiveSettlementPolicy
from streambet.services.settlement import SettlementPolicy
from tests.support.api import make_actor
from tests.support.betting import Vocabulary, bet, fund, verify_ledger
from tests.support.live_markets import cover, detect, make_stream, person_market

POLICY = LiveSettlementPolicy(SettlementPolicy(dispute_window=timedelta(0)))
DELAY = 5_000


def in_play(app: Flask) -> tuple[object, int, int, int, int]:
    op = make_actor(app, "operator")
    stream = make_stream(app, op.user_id)
    t0 = now_ms()
    m = person_market(
        app, op.principal, stream, t0, t0 + 60_000, in_play=True, bet_delay_ms=DELAY
    ).market
    return m, stream, t0, m.outcomes[0].id, m.outcomes[1].id


def sweep(app: Flask, at: int) -> live_settlement.LiveSweep:
    w = app.extensions["streambet"]
    return live_settlement.sweep_live(w.uow, w.read_uow, Vocabulary(), POLICY, now=at)


def test_a_wager_covering_a_detection_is_refused_and_refunded(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    m, stream, t0, yes, no = in_play(app)
    early, late, no_bettor = make_actor(app), make_actor(app), make_actor(app)
    for b in (early, late, no_bettor):
        fund(app, b.user_id, 100)
    with pytest.raises(Conflict) as refused:  # the ordinary path would skip the delay
        bet(app, early.principal, m.id, yes, 10)
    assert refused.value.code == "in_play"
    placed = bet_delay.place_held(w.uow(), early.principal, m.id, yes, 30, now_ms=t0 + 5_000)
    assert placed.status is Hold.PENDING and placed.balance == 70
    assert placed.accept_after_ms == t0 + 10_000
    bet_delay.place_held(w.uow(), no_bettor.principal, m.id, no, 50, now_ms=t0 + 6_000)
    # The engine has looked up to t0 + 20 s (its samples stored 12 s behind): both
    # accepted, as nothing qualifying happened around them.
    cover(app, stream, t0 - 1_000, t0 + 20_000 + 12_000)
    assert sweep(app, t0 + 32_000).holds_decided == 2
    assert [h.status for h in bet_delay.my_held(w.read_uow(), m.id, early.principal)] == [
        Hold.ACCEPTED
    ]
    # A wager placed 2 s before the person appears: pending until the engine reports it.
    sneaky = bet_delay.place_held(w.uow(), late.principal, m.id, yes, 40, now_ms=t0 + 33_000)
    assert wallet.balance(w.read_uow(), late.user_id) == 60
    cover(app, stream, t0 + 32_000, t0 + 36_000)
    detect(app, stream, t0 + 35_000, "Person", 97.0)
    report = sweep(app, t0 + 36_000)
    assert report.settled == [m.id] and report.holds_decided == 1
    (held,) = bet_delay.my_held(w.read_uow(), m.id, late.principal)
    assert held.id == sneaky.id and held.status is Hold.REFUSED and held.wager_id is None
    assert held.reason == "a qualifying detection fell within the bet delay"
    assert wallet.balance(w.read_uow(), late.user_id) == 100  # the stake is back
    settlement.finalize_market(w.uow(), m.id)
    # The early YES bettor takes the pool of the accepted wagers: 30 + 50.
    assert wallet.balance(w.read_uow(), early.user_id) == 70 + 80
    assert wallet.balance(w.read_uow(), no_bettor.user_id) == 50
    assert verify_ledger(app) == []


def test_a_wager_after_the_detection_is_refused_too(app: Flask) -> None:
    """A bettor who saw it on the stream before the engine reported it."""
    w = app.extensions["streambet"]
    m, stream, t0, yes, _ = in_play(app)
    b = make_actor(app)
    fund(app, b.user_id, 100)
    cover(app, stream, t0, t0 + 10_000)
    detect(app, stream, t0 + 9_000, "Person", 62.0)  # at the review floor, not the bar
    bet_delay.place_held(w.uow(), b.principal, m.id, yes, 20, now_ms=t0 + 12_000)
    cover(app, stream, t0 + 10_000, t0 + 40_000)
    sweep(app, t0 + 40_000)
    (held,) = bet_delay.my_held(w.read_uow(), m.id, b.principal)
    assert held.status is Hold.REFUSED
    assert verify_ledger(app) == []


def test_holding_needs_the_money_and_an_open_market(app: Flask) -> None:
    w = app.extensions["streambet"]
    m, _, t0, yes, _ = in_play(app)
    b = make_actor(app)
    fund(app, b.user_id, 10)
    with pytest.raises(InsufficientFunds):
        bet_delay.place_held(w.uow(), b.principal, m.id, yes, 11, now_ms=t0 + 1_000)
    with pytest.raises(Conflict):  # betting closed with the window's end
        bet_delay.place_held(w.uow(), b.principal, m.id, yes, 5, now_ms=t0 + 61_000)
    assert wallet.balance(w.read_uow(), b.user_id) == 10
    assert verify_ledger(app) == []


def test_a_race_of_wagers_around_a_detection_keeps_the_books(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    m, stream, t0, yes, no = in_play(app)
    bettors = [make_actor(app) for _ in range(4)]
    for b in bettors:
        fund(app, b.user_id, 200)
    detection = t0 + 30_000
    cover(app, stream, t0, t0 + 25_000)
    rng = random.Random(7)
    errors: list[BaseException] = []

    def wagers(actor_index: int) -> None:
        actor = bettors[actor_index]
        for i in range(10):
            at = t0 + 18_000 + rng.randrange(0, 20_000)
            try:
                bet_delay.place_held(
                    w.uow(), actor.principal, m.id, (yes, no)[i % 2], 15, now_ms=at
                )
            except InsufficientFunds:
                pass
            except BaseException as exc:
                errors.append(exc)

    def sweeps() -> None:
        for _ in range(5):
            sweep(app, t0 + 26_000)

    threads = [threading.Thread(target=wagers, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=sweeps))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert verify_ledger(app) == []
    cover(app, stream, t0 + 25_000, t0 + 60_000)
    detect(app, stream, detection, "Person", 96.0)
    sweep(app, t0 + 60_000)
    assert verify_ledger(app) == []
    settlement.finalize_market(w.uow(), m.id)
    assert verify_ledger(app) == []
    for b in bettors:
        for h in bet_delay.my_held(w.read_uow(), m.id, b.principal):
            covers = abs(h.placed_ms - detection) <= DELAY
            assert h.status is (Hold.REFUSED if covers else Hold.ACCEPTED), h
    total = sum(wallet.balance(w.read_uow(), b.user_id) for b in bettors)
    assert 800 - 40 <= total <= 800  # no takeout: all back to them, less breakage


def test_held_wagers_go_back_when_the_market_is_canceled(app: Flask) -> None:
    w = app.extensions["streambet"]
    m, _, t0, yes, _ = in_play(app)
    b = make_actor(app)
    fund(app, b.user_id, 100)
    bet_delay.place_held(w.uow(), b.principal, m.id, yes, 30, now_ms=t0 + 1_000)
    op = make_actor(app, "admin")
    settlement.cancel_market(w.uow(), m.id, op.principal, reason="the stream moved")
    assert wallet.balance(w.read_uow(), b.user_id) == 70  # still held
    sweep(app, t0 + 2_000)
    (held,) = bet_delay.my_held(w.read_uow(), m.id, b.principal)
    assert held.status is Hold.REFUSED
    assert held.reason == "the market was canceled before the bet delay passed"
    assert wallet.balance(w.read_uow(), b.user_id) == 100
    assert verify_ledger(app) == []
    assert live_settlement.due_live_markets(w.read_uow, t0 + 3_000) == []
