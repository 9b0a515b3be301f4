"""The periodic betting job: lock markets past their closing time, queue the held analyses
of markets that have stopped taking wagers, settle locked markets whose analysis is ready,
pay markets whose dispute window has closed, send the withdrawals that are due
(services/withdrawals.py: the payout outbox, retried with backoff). Every step is its own
transaction and safe to repeat or run concurrently."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.adapters.payments.ports import PayoutProvider
from streambet.domain.markets import MarketStatus
from streambet.services import analyses, markets, settlement, withdrawals
from streambet.services.analyses import TaskQueue
from streambet.services.settlement import SettlementPolicy, TimelineSource
from streambet.services.unit_of_work import UnitOfWorkFactory


@dataclass
class SweepReport:
    locked: list[int] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # held analyses queued now
    settled: list[int] = field(default_factory=list)
    paid: list[int] = field(default_factory=list)
    payouts_sent: int = 0  # withdrawals tried (services/withdrawals.send_due)


def sweep(
    write: UnitOfWorkFactory,
    read: UnitOfWorkFactory,
    timelines: TimelineSource,
    policy: SettlementPolicy,
    payouts: PayoutProvider,
    *,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> SweepReport:
    now = now or datetime.now(UTC)
    report = SweepReport()
    report.locked = markets.lock_due_markets(write, read, now)
    if queue is not None:
        report.started = analyses.release_locked(write, read, queue)
    with read() as uow:
        waiting = list(
            uow.session.scalars(
                select(Market.id).where(
                    Market.status == MarketStatus.LOCKED.value, Market.analysis_id.is_not(None)
                )
            )
        )
    for market_id in waiting:
        result = settlement.settle_market(write(), market_id, timelines, policy, now=now)
        if result.decision is not None:
            report.settled.append(market_id)
    for market_id in settlement.due_for_payout(read(), now):
        if settlement.finalize_market(write(), market_id, now=now):
            report.paid.append(market_id)
    report.payouts_sent = withdrawals.send_due(write, read, payouts, now)
    return report
