"""The periodic betting job: lock markets past their closing time, settle locked markets
whose analysis is ready, pay markets whose dispute window has closed, finish deposits and
withdrawals a crash left pending. Every step is its own transaction and safe to repeat or
run concurrently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.adapters.payouts import PayoutProvider
from streambet.domain.errors import Conflict
from streambet.domain.markets import MarketStatus
from streambet.services import markets, settlement, wallet
from streambet.services.events import Publish, no_publish
from streambet.services.settlement import SettlementPolicy, TimelineSource
from streambet.services.unit_of_work import UnitOfWork


@dataclass
class SweepReport:
    locked: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)
    paid: list[int] = field(default_factory=list)
    finished_requests: int = 0  # deposits and withdrawals a crash left pending


def sweep(
    write: Callable[[], UnitOfWork],
    read: Callable[[], UnitOfWork],
    timelines: TimelineSource,
    policy: SettlementPolicy,
    provider: PayoutProvider,
    *,
    now: datetime | None = None,
    publish: Publish = no_publish,
) -> SweepReport:
    now = now or datetime.now(UTC)
    report = SweepReport()
    with read() as uow:
        due_lock = markets.lock_due_markets(uow, now)
    for market_id in due_lock:
        try:
            with write() as uow:
                markets.lock_market(uow, market_id, publish=publish)
            report.locked.append(market_id)
        except Conflict:
            pass  # someone else locked or canceled it first
    with read() as uow:
        waiting = list(
            uow.session.scalars(
                select(Market.id).where(
                    Market.status == MarketStatus.LOCKED.value, Market.analysis_id.is_not(None)
                )
            )
        )
    for market_id in waiting:
        with write() as uow:
            result = settlement.settle_market(
                uow, market_id, timelines, policy, now=now, publish=publish
            )
            if result.decision is not None:
                report.settled.append(market_id)
    with read() as uow:
        due_pay = settlement.due_for_payout(uow, now)
    for market_id in due_pay:
        with write() as uow:
            if settlement.finalize_market(uow, market_id, now=now, publish=publish):
                report.paid.append(market_id)
    for direction, finish in (
        ("deposit", wallet.complete_deposit),
        ("withdrawal", wallet.send_withdrawal),
    ):
        with read() as uow:
            keys = wallet.pending_requests(uow, direction)
        for key in keys:
            with write() as uow:
                finish(uow, provider, key)
            report.finished_requests += 1
    return report
