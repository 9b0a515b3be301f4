"""The set-based SQL payout gives, wager for wager, what the pure pool rules give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streambet.adapters.orm.betting import Market
from streambet.domain.pools import Stake, settle_pool
from streambet.services import markets, settlement, wagers
from streambet.services.settlement import SettlementPolicy
from tests.support.api import make_actor
from tests.support.betting import Vocabulary, bet, fund, verify_ledger

LATER = datetime.now(UTC) + timedelta(days=1)


def test_sql_payouts_equal_the_domain_rules(any_db_app: Flask) -> None:
    app = any_db_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    bettors = [make_actor(app) for _ in range(4)]
    for b in bettors:
        fund(app, b.user_id, 10**9)

    @settings(
        max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        bets=st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(1, 10**6)),
            min_size=1,
            max_size=12,
        ),
        winner=st.one_of(st.none(), st.integers(0, 2)),
        takeout_bp=st.integers(0, 5000),
    )
    def check(bets: list[tuple[int, int, int]], winner: int | None, takeout_bp: int) -> None:
        m = markets.create_market(
            w.uow(),
            Vocabulary(),
            op.principal,
            "Which?",
            [markets.OutcomeDraft(t) for t in ("A", "B", "C")],
            takeout_bp=takeout_bp,
            max_stake=10**6,
        )
        ids = [o.id for o in m.outcomes]
        for who, outcome, stake in bets:
            bet(app, bettors[who].principal, m.id, ids[outcome], stake)
        markets.lock_market(w.uow(), m.id, by=None)
        if winner is None:
            settlement.cancel_market(w.uow(), m.id, op.principal)
        else:
            settlement.resolve_manually(
                w.uow(), m.id, ids[winner], op.principal, SettlementPolicy()
            )
            assert settlement.finalize_market(w.uow(), m.id, now=LATER) is not None
        rows = [
            (x.id, x.outcome_id, x.stake, x.payout)
            for x in wagers.market_wagers(w.read_uow(), m.id, op.principal, limit=1000)
        ]
        v = markets.get_market(w.read_uow(), m.id)
        expected = settle_pool(
            [Stake(i, o, s) for i, o, s, _ in rows],
            None if winner is None else ids[winner],
            takeout_bp,
        )
        assert {i: p for i, _, _, p in rows if p} == {
            i: p for i, p in expected.payouts.items() if p
        }
        if winner is not None:
            with w.read_uow() as uow:
                market = uow.session.get(Market, m.id)
                assert market is not None
                assert (market.takeout_amount, market.breakage_amount) == (
                    expected.takeout,
                    expected.breakage,
                )
        assert v.paid_at_ms is not None

    check()
    assert verify_ledger(app) == []


def test_huge_pools_are_paid_exactly_without_64_bit_overflow(any_db_app: Flask) -> None:
    # net x stake here is ~10^24: past int64, where SQLite would silently go to floats.
    app = any_db_app
    w = app.extensions["streambet"]
    op = make_actor(app, "operator")
    a, b, c = (make_actor(app) for _ in range(3))
    for x in (a, b, c):
        fund(app, x.user_id, 10**12)
    m = markets.create_market(
        w.uow(),
        Vocabulary(),
        op.principal,
        "Big?",
        [markets.OutcomeDraft("A"), markets.OutcomeDraft("B")],
        takeout_bp=333,
        max_stake=10**12,
    )
    yes, no = (o.id for o in m.outcomes)
    for who, outcome, stake in ((a, yes, 10**12 - 7), (b, yes, 333_333_333_333), (c, no, 10**12)):
        bet(app, who.principal, m.id, outcome, stake)
    markets.lock_market(w.uow(), m.id, by=None)
    settlement.resolve_manually(w.uow(), m.id, yes, op.principal, SettlementPolicy())
    summary = settlement.finalize_market(w.uow(), m.id, now=LATER)
    rows = [
        (x.id, x.outcome_id, x.stake, x.payout)
        for x in wagers.market_wagers(w.read_uow(), m.id, op.principal)
    ]
    expected = settle_pool([Stake(i, o, s) for i, o, s, _ in rows], yes, 333)
    assert {i: p for i, _, _, p in rows if p} == expected.payouts
    assert summary is not None and summary.breakage == expected.breakage
    assert verify_ledger(app) == []
