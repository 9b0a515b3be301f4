"""Settling markets: from the engine's evidence, by an admin, by canceling; and paying out
once the dispute window has closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select

from streambet.adapters.orm.betting import Dispute, Market, Settlement
from streambet.domain.criteria import parse_criteria
from streambet.domain.errors import Conflict, ValidationFailed
from streambet.domain.markets import MarketStatus, check_transition
from streambet.domain.settlement import Bands, Decision, OutcomeSpec, decide, second_opinion
from streambet.services.events import Publish, no_publish
from streambet.services.markets import (
    MarketView,
    load_market,
    outcomes_of,
    publish_status,
    view,
)
from streambet.services.payouts import Checkpoint, PayoutSummary, no_checkpoint, pay_out
from streambet.services.unit_of_work import UnitOfWork
from streambet.timeline import LabelInfo, Timeline


class TimelineSource(Protocol):
    def timeline_for(self, analysis_id: str) -> Timeline | None:
        """The finished analysis' timeline, or None while it is not available."""


@runtime_checkable
class SecondOpinionSource(Protocol):
    def second_timeline_for(self, analysis_id: str) -> Timeline | None:
        """Agreement mode: the second engine's timeline, or None when it did not run."""


class _StoredLabels:
    """Criteria were validated at creation and store canonical names; evaluation needs no
    vocabulary beyond echoing them back."""

    def resolve(self, name: str) -> LabelInfo | None:
        return LabelInfo(name)


@dataclass(frozen=True)
class SettlementPolicy:
    bands: Bands = field(default_factory=Bands)
    dispute_window: timedelta = timedelta(minutes=10)
    require_agreement: bool = False  # with a second timeline: settle only when both agree


@dataclass(frozen=True)
class SettleResult:
    market: MarketView
    decision: Decision | None  # None: no timeline yet, nothing changed


def _specs(uow: UnitOfWork, market_id: int) -> list[OutcomeSpec]:
    return [
        OutcomeSpec(
            o.id,
            o.title,
            None if o.criteria is None else parse_criteria(o.criteria, _StoredLabels()),
        )
        for o in outcomes_of(uow.session, market_id)
    ]


def record_settlement(
    uow: UnitOfWork,
    market: Market,
    *,
    source: str,
    decision: str,
    outcome_id: int | None,
    confidence: float | None = None,
    reason: str = "",
    evidence: dict[str, Any] | None = None,
    model_version: str | None = None,
    decided_by: int | None = None,
) -> None:
    uow.session.add(
        Settlement(
            market_id=market.id,
            source=source,
            decision=decision,
            outcome_id=outcome_id,
            confidence=confidence,
            reason=reason,
            evidence=evidence,
            model_version=model_version,
            decided_by=decided_by,
            created_at=datetime.now(UTC),
        )
    )


def settle_with_timeline(
    uow: UnitOfWork,
    market_id: int,
    timeline: Timeline,
    policy: SettlementPolicy,
    *,
    now: datetime | None = None,
    publish: Publish = no_publish,
    second: Timeline | None = None,
) -> SettleResult:
    """Decides a locked market from a timeline: resolved (dispute window opens) or review.
    An open market is locked first (the evidence is in, betting is over). With `second`
    (agreement mode), the decision must also agree with that engine's timeline."""
    now = now or datetime.now(UTC)
    market = load_market(uow.session, market_id, lock=True)
    if market.status == MarketStatus.OPEN:
        check_transition(market.status, MarketStatus.LOCKED)
        market.status = MarketStatus.LOCKED.value
        market.locked_at = now
    if market.status != MarketStatus.LOCKED:
        raise Conflict(
            f"Only a locked market is settled from evidence; this one is {market.status}.",
            code="invalid_transition",
        )
    specs = _specs(uow, market_id)
    decision = decide(specs, timeline, policy.bands)
    if second is not None:
        decision = second_opinion(decision, specs, second)
    record_settlement(
        uow,
        market,
        source="evidence",
        decision="resolved" if decision.resolved else "review",
        outcome_id=decision.outcome_id,
        confidence=decision.confidence,
        reason=decision.reason,
        evidence=decision.evidence_json(),
        model_version=decision.model_version,
    )
    if decision.resolved:
        _resolve(market, decision.outcome_id, now, policy)
    else:
        market.status = MarketStatus.REVIEW.value
    uow.session.flush()
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return SettleResult(v, decision)


def settle_market(
    uow: UnitOfWork,
    market_id: int,
    timelines: TimelineSource,
    policy: SettlementPolicy,
    *,
    now: datetime | None = None,
    publish: Publish = no_publish,
) -> SettleResult:
    """The job-queue entry point: settles a locked market once its analysis is available;
    otherwise leaves it alone."""
    market = load_market(uow.session, market_id)
    if market.status != MarketStatus.LOCKED or market.analysis_id is None:
        return SettleResult(view(uow.session, market), None)
    timeline = timelines.timeline_for(market.analysis_id)
    if timeline is None:
        return SettleResult(view(uow.session, market), None)
    second = None
    if policy.require_agreement and isinstance(timelines, SecondOpinionSource):
        second = timelines.second_timeline_for(market.analysis_id)
    return settle_with_timeline(
        uow, market_id, timeline, policy, now=now, publish=publish, second=second
    )


def _resolve(
    market: Market, outcome_id: int | None, now: datetime, policy: SettlementPolicy
) -> None:
    check_transition(market.status, MarketStatus.RESOLVED)
    market.status = MarketStatus.RESOLVED.value
    market.winning_outcome_id = outcome_id
    market.resolved_at = now
    market.dispute_deadline = now + policy.dispute_window


def check_outcome(uow: UnitOfWork, market_id: int, outcome_id: int | None) -> None:
    if outcome_id is not None and outcome_id not in {
        o.id for o in outcomes_of(uow.session, market_id)
    }:
        raise ValidationFailed(
            "That outcome is not part of this market.", details={"field": "outcome_id"}
        )


def resolve_manually(
    uow: UnitOfWork,
    market_id: int,
    outcome_id: int,
    admin_id: int,
    policy: SettlementPolicy,
    *,
    note: str = "",
    now: datetime | None = None,
    publish: Publish = no_publish,
) -> MarketView:
    """An admin's decision on a locked or in-review market; the dispute window still
    applies before payout."""
    now = now or datetime.now(UTC)
    market = load_market(uow.session, market_id, lock=True)
    check_outcome(uow, market_id, outcome_id)
    _resolve(market, outcome_id, now, policy)
    record_settlement(
        uow,
        market,
        source="admin",
        decision="resolved",
        outcome_id=outcome_id,
        reason=note,
        decided_by=admin_id,
    )
    uow.session.flush()
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return v


def cancel_market(
    uow: UnitOfWork,
    market_id: int,
    user_id: int,
    *,
    reason: str = "",
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    publish: Publish = no_publish,
) -> MarketView:
    """Void: every stake refunded, now, in this transaction."""
    now = now or datetime.now(UTC)
    market = load_market(uow.session, market_id, lock=True)
    check_transition(market.status, MarketStatus.CANCELED, paid=market.paid_at is not None)
    market.status = MarketStatus.CANCELED.value
    market.winning_outcome_id = None
    market.note = reason or None
    close_disputes(uow, market_id, "overturned", user_id, reason or "market canceled", now)
    record_settlement(
        uow,
        market,
        source="cancel",
        decision="void",
        outcome_id=None,
        reason=reason,
        decided_by=user_id,
    )
    pay_out(uow.session, market, None, now, checkpoint)
    uow.session.flush()
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return v


def finalize_market(
    uow: UnitOfWork,
    market_id: int,
    *,
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    publish: Publish = no_publish,
) -> PayoutSummary | None:
    """Pays a resolved market whose dispute window has closed undisputed. Safe to call any
    number of times, from any number of processes: it pays at most once."""
    now = now or datetime.now(UTC)
    market = load_market(uow.session, market_id, lock=True)
    if (
        market.status != MarketStatus.RESOLVED
        or market.paid_at is not None
        or market.dispute_deadline is None
        or now < market.dispute_deadline
    ):
        return None
    summary = pay_out(uow.session, market, market.winning_outcome_id, now, checkpoint)
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return summary


def due_for_payout(uow: UnitOfWork, now: datetime) -> Sequence[int]:
    return list(
        uow.session.scalars(
            select(Market.id).where(
                Market.status == MarketStatus.RESOLVED.value,
                Market.paid_at.is_(None),
                Market.dispute_deadline <= now,
            )
        )
    )


def close_disputes(
    uow: UnitOfWork, market_id: int, status: str, admin_id: int | None, note: str, now: datetime
) -> None:
    for d in uow.session.scalars(
        select(Dispute).where(Dispute.market_id == market_id, Dispute.status == "open")
    ):
        d.status = status
        d.decided_by = admin_id
        d.decision_note = note
        d.decided_at = now
