"""Pari-mutuel pools: live odds from the pools, and settlement of a resolved pool.

net pool = gross pool - takeout (takeout = gross x bp, rounded down). Each winning wager
gets net x stake / winning stake, rounded down to the minor unit; what the rounding leaves
is breakage and goes to the house. Nobody on the winner, or a void, refunds every stake
and the house takes nothing. By construction payouts + takeout + breakage == gross pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from streambet.domain.money import BASIS_POINTS, share_bp


@dataclass(frozen=True)
class Stake:
    wager_id: int
    outcome_id: int
    amount: int


@dataclass(frozen=True)
class PoolSettlement:
    gross: int
    takeout: int
    breakage: int
    payouts: dict[int, int]  # wager id -> amount credited (refunds included)
    refunded: bool

    @property
    def paid(self) -> int:
        return sum(self.payouts.values())


def net_pool(gross: int, takeout_bp: int) -> int:
    return gross - share_bp(gross, takeout_bp)


def settle_pool(stakes: Sequence[Stake], winner: int | None, takeout_bp: int) -> PoolSettlement:
    """`winner` None means void: everyone is refunded."""
    gross = sum(s.amount for s in stakes)
    winning = sum(s.amount for s in stakes if s.outcome_id == winner)
    if winner is None or winning == 0:
        return PoolSettlement(gross, 0, 0, {s.wager_id: s.amount for s in stakes}, True)
    takeout = share_bp(gross, takeout_bp)
    net = gross - takeout
    payouts = {s.wager_id: net * s.amount // winning for s in stakes if s.outcome_id == winner}
    return PoolSettlement(gross, takeout, net - sum(payouts.values()), payouts, False)


def decimal_odds(pools: Mapping[int, int], takeout_bp: int) -> dict[int, float | None]:
    """What one unit on each outcome would return now (net pool / outcome pool), to two
    places for display. An outcome nobody backed yet shows the even-split starting price."""
    gross = sum(pools.values())
    net = net_pool(gross, takeout_bp)
    starting = round(len(pools) * (BASIS_POINTS - takeout_bp) / BASIS_POINTS, 2)
    odds: dict[int, float | None] = {}
    for outcome, pool in pools.items():
        odds[outcome] = round(net / pool, 2) if pool > 0 else (starting if gross == 0 else None)
    return odds
