from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streambet.domain.pools import Stake, decimal_odds, settle_pool

stakes_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.integers(1, 10**9)), min_size=0, max_size=60
).map(lambda xs: [Stake(i, o, a) for i, (o, a) in enumerate(xs, start=1)])


@given(stakes_strategy, st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 5000))
def test_payouts_takeout_and_breakage_add_up_to_the_pool_exactly(stakes, winner, bp) -> None:
    result = settle_pool(stakes, winner, bp)
    assert result.paid + result.takeout + result.breakage == result.gross
    assert result.gross == sum(s.amount for s in stakes)
    assert all(v >= 0 for v in result.payouts.values())
    assert result.takeout >= 0 and result.breakage >= 0
    winning = [s for s in stakes if s.outcome_id == winner]
    if winner is None or not winning:
        assert result.refunded and result.payouts == {s.wager_id: s.amount for s in stakes}
    else:
        assert set(result.payouts) == {s.wager_id for s in winning}
        # Breakage is less than one minor unit per winning wager.
        assert result.breakage < len(winning)


@given(stakes_strategy, st.integers(1, 4), st.integers(0, 5000))
def test_payouts_are_proportional_to_stake(stakes, winner, bp) -> None:
    result = settle_pool(stakes, winner, bp)
    winning = [s for s in stakes if s.outcome_id == winner]
    for a in winning:
        for b in winning:
            if a.amount >= b.amount:
                assert result.payouts[a.wager_id] >= result.payouts[b.wager_id]


def test_the_anchor_example_pool_514_takeout_1425_bp() -> None:
    # anchors.md: pool 514, takeout 14.25 % -> net 440.76; 55 on the winner -> 8.01 a unit.
    stakes = [Stake(1, 1, 5500), Stake(2, 2, 45900)]
    result = settle_pool(stakes, winner=1, takeout_bp=1425)
    assert result.takeout == 7324  # 51 400 x 0.1425 = 7324.5, rounded down
    assert result.payouts == {1: 44076}  # the whole net pool: 8.01 a unit
    assert result.breakage == 0


def test_breakage_goes_to_the_house() -> None:
    result = settle_pool([Stake(1, 1, 1), Stake(2, 1, 1), Stake(3, 1, 1), Stake(4, 2, 7)], 1, 0)
    assert result.payouts == {1: 3, 2: 3, 3: 3}
    assert result.breakage == 1


def test_nobody_on_the_winner_refunds_everyone_without_takeout() -> None:
    result = settle_pool([Stake(1, 2, 100), Stake(2, 3, 50)], winner=1, takeout_bp=1000)
    assert result.refunded
    assert result.payouts == {1: 100, 2: 50} and result.takeout == 0


def test_decimal_odds_net_of_takeout() -> None:
    assert decimal_odds({1: 300, 2: 100}, 1000) == {1: 1.2, 2: 3.6}
    assert decimal_odds({1: 0, 2: 0}, 500) == {1: 1.9, 2: 1.9}
    assert decimal_odds({1: 100, 2: 0}, 0) == {1: 1.0, 2: None}
