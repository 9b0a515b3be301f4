"""Settling markets: from the engine's evidence, by an admin, by canceling; and paying out
once the dispute window has closed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import Dispute, Market, Settlement
from streambet.domain.accounts import Principal
from streambet.domain.criteria import label_names, parse_criteria
from streambet.domain.errors import Conflict, ValidationFailed
from streambet.domain.markets import Evidence, MarketStatus, check_transition
from streambet.domain.settlement import Bands, Decision, OutcomeSpec, decide, second_opinion
from streambet.services.markets import (
    MarketRead,
    changed,
    load_managed,
    load_market,
    market_read,
    outcomes_of,
)
from streambet.services.payouts import Checkpoint, PayoutSummary, no_checkpoint, pay_out
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory
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
    # Outside production, `POST /api/resolve` settles from labels an old client reports
    # (the original's behaviour) on markets its caller manages; in production only the
    # market's own evidence does, and reported labels are taken only by a market made
    # for them (Evidence.CLIENT), whose decision then always goes to review.
    client_labels_settle: bool = False
    # Per engine (a timeline's `engine`): whether its precision at the bar was measured
    # for a label. A decision on criteria naming any other label goes to review. Engines
    # not listed settle on every label.
    settleable: Mapping[str, Callable[[str], bool]] = field(default_factory=dict)


def unmeasured_labels(
    specs: Sequence[OutcomeSpec], engine: str, policy: SettlementPolicy
) -> list[str]:
    """The criteria's labels `engine` cannot settle on by itself (see SettlementPolicy)."""
    measured = policy.settleable.get(engine)
    if measured is None:
        return []
    names = [n for o in specs if o.criteria is not None for n in label_names(o.criteria)]
    return [n for n in dict.fromkeys(names) if not measured(n)]


def unmeasured_reason(labels: Sequence[str]) -> str:
    return "the engine's precision is not measured for " + ", ".join(labels) + ": a person decides"


@dataclass(frozen=True)
class SettleResult:
    market: MarketRead
    decision: Decision | None  # None: no timeline yet, nothing changed


def outcome_specs(session: Session, market_id: int) -> list[OutcomeSpec]:
    return [
        OutcomeSpec(
            o.id,
            o.title,
            None if o.criteria is None else parse_criteria(o.criteria, _StoredLabels()),
        )
        for o in outcomes_of(session, market_id)
    ]


def record_settlement(
    session: Session,
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
    session.add(
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


CLIENT_REVIEW = "Labels reported by the client, not the engine's evidence: an admin decides."


def settle_locked(
    uow: UnitOfWork,
    market: Market,
    timeline: Timeline,
    policy: SettlementPolicy,
    now: datetime,
    second: Timeline | None,
    *,
    source: str = "evidence",
    review_only: bool = False,
) -> SettleResult:
    """Decides `market` (row-locked by the caller) from a timeline: resolved (the dispute
    window opens) or review. An open market is locked first (the evidence is in, betting
    is over). With `second` (agreement mode), the decision must also agree with that
    engine's timeline. `review_only`: whatever the timeline says, a person decides."""
    if market.status == MarketStatus.OPEN:
        check_transition(market.status, MarketStatus.LOCKED)
        market.status = MarketStatus.LOCKED.value
        market.locked_at = now
    if market.status != MarketStatus.LOCKED:
        raise Conflict(
            f"Only a locked market is settled from evidence; this one is {market.status}.",
            code="invalid_transition",
        )
    specs = outcome_specs(uow.session, market.id)
    decision = decide(specs, timeline, policy.bands)
    if second is not None:
        decision = second_opinion(decision, specs, second)
    if review_only:
        decision = replace(decision, resolved=False, reason=f"{CLIENT_REVIEW} ({decision.reason})")
    unmeasured = unmeasured_labels(specs, timeline.engine, policy)
    if unmeasured:
        reason = f"{unmeasured_reason(unmeasured)} ({decision.reason})"
        decision = replace(decision, resolved=False, reason=reason)
    record_settlement(
        uow.session,
        market,
        source=source,
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
    return SettleResult(changed(uow, market), decision)


def settle_with_timeline(
    uow: UnitOfWork,
    market_id: int,
    timeline: Timeline,
    policy: SettlementPolicy,
    *,
    now: datetime | None = None,
    second: Timeline | None = None,
) -> SettleResult:
    with uow:
        market = load_market(uow.session, market_id, lock=True)
        result = settle_locked(uow, market, timeline, policy, now or datetime.now(UTC), second)
        uow.commit()
    return result


def settle_market(
    uow: UnitOfWork,
    market_id: int,
    timelines: TimelineSource,
    policy: SettlementPolicy,
    *,
    by: Principal | None = None,
    now: datetime | None = None,
) -> SettleResult:
    """Settles a locked market once its analysis is available; otherwise leaves it alone
    (decision None). `by`: the operator who made it or an admin; None for the periodic
    job."""
    with uow:
        market = load_managed(uow.session, market_id, by)
        analysis_id = market.analysis_id
        timeline = None
        if market.status == MarketStatus.LOCKED and analysis_id is not None:
            timeline = timelines.timeline_for(analysis_id)
        if timeline is None or analysis_id is None:
            return SettleResult(market_read(uow.session, market), None)
        second = None
        if policy.require_agreement and isinstance(timelines, SecondOpinionSource):
            second = timelines.second_timeline_for(analysis_id)
        result = settle_locked(uow, market, timeline, policy, now or datetime.now(UTC), second)
        uow.commit()
    return result


def settle_now(
    uow: UnitOfWork,
    market_id: int,
    timelines: TimelineSource,
    policy: SettlementPolicy,
    by: Principal,
) -> MarketRead:
    """An operator's "settle it now": a conflict when there is nothing to settle yet."""
    result = settle_market(uow, market_id, timelines, policy, by=by)
    if result.decision is None:
        raise Conflict(
            "Nothing to settle: the market is not locked or its analysis is not available.",
            code="evidence_unavailable",
        )
    return result.market


def settle_reported(
    uow: UnitOfWorkFactory,
    market_id: int,
    timelines: TimelineSource,
    policy: SettlementPolicy,
    reported: Timeline | None,
    by: Principal,
) -> SettleResult:
    """The original `POST /api/resolve`, for the operator who made the market (or an
    admin), like lock, cancel and settle: settles from the market's own analysis, or from
    the labels the client reports where `policy` and the market allow it (see
    SettlementPolicy.client_labels_settle); with no dispute window, pays out at once."""
    with uow() as tx:
        market = load_managed(tx.session, market_id, by)
        client_market = market.evidence == Evidence.CLIENT
        if reported is not None and not (client_market or policy.client_labels_settle):
            raise ValidationFailed(
                "This market settles only from its own footage's evidence; reported labels"
                " are not accepted. Send no `labels` to settle it from its analysis.",
                details={"field": "labels"},
                code="labels_not_accepted",
            )
        timeline = reported
        if timeline is None and market.analysis_id:
            timeline = timelines.timeline_for(market.analysis_id)
        if timeline is None:
            raise Conflict(
                "This market's evidence is not available yet"
                + ("; send the labels instead." if client_market else "."),
                code="evidence_unavailable",
            )
        result = settle_locked(
            tx,
            market,
            timeline,
            policy,
            datetime.now(UTC),
            None,
            source="evidence" if reported is None else "client",
            review_only=reported is not None and client_market,
        )
        tx.commit()
    decision = result.decision
    if decision is not None and decision.resolved and policy.dispute_window <= timedelta(0):
        finalize_market(uow(), market_id)
    return result


def _resolve(
    market: Market, outcome_id: int | None, now: datetime, policy: SettlementPolicy
) -> None:
    check_transition(market.status, MarketStatus.RESOLVED)
    market.status = MarketStatus.RESOLVED.value
    market.winning_outcome_id = outcome_id
    market.resolved_at = now
    market.dispute_deadline = now + policy.dispute_window


def check_outcome(session: Session, market_id: int, outcome_id: int | None) -> None:
    if outcome_id is not None and outcome_id not in {o.id for o in outcomes_of(session, market_id)}:
        raise ValidationFailed(
            "That outcome is not part of this market.", details={"field": "outcome_id"}
        )


def resolve_manually(
    uow: UnitOfWork,
    market_id: int,
    outcome_id: int,
    admin: Principal,
    policy: SettlementPolicy,
    *,
    note: str = "",
    now: datetime | None = None,
) -> MarketRead:
    """An admin's decision on a locked or in-review market; the dispute window still
    applies before payout."""
    now = now or datetime.now(UTC)
    with uow:
        market = load_market(uow.session, market_id, lock=True)
        check_outcome(uow.session, market_id, outcome_id)
        _resolve(market, outcome_id, now, policy)
        record_settlement(
            uow.session,
            market,
            source="admin",
            decision="resolved",
            outcome_id=outcome_id,
            reason=note,
            decided_by=admin.user_id,
        )
        result = changed(uow, market)
        uow.commit()
    return result


def cancel_market(
    uow: UnitOfWork,
    market_id: int,
    by: Principal,
    *,
    reason: str = "",
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> MarketRead:
    """Void: every stake refunded, now, in this transaction. Only the operator who made
    the market, or an admin."""
    now = now or datetime.now(UTC)
    with uow:
        market = load_managed(uow.session, market_id, by)
        check_transition(market.status, MarketStatus.CANCELED, paid=market.paid_at is not None)
        market.status = MarketStatus.CANCELED.value
        market.winning_outcome_id = None
        market.note = reason or None
        close_disputes(
            uow.session, market_id, "overturned", by.user_id, reason or "market canceled", now
        )
        record_settlement(
            uow.session,
            market,
            source="cancel",
            decision="void",
            outcome_id=None,
            reason=reason,
            decided_by=by.user_id,
        )
        pay_out(uow.session, market, None, now, checkpoint)
        result = changed(uow, market)
        uow.commit()
    return result


def finalize_market(
    uow: UnitOfWork,
    market_id: int,
    *,
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
) -> PayoutSummary | None:
    """Pays a resolved market whose dispute window has closed undisputed. Safe to call any
    number of times, from any number of processes: it pays at most once."""
    now = now or datetime.now(UTC)
    with uow:
        market = load_market(uow.session, market_id, lock=True)
        if (
            market.status != MarketStatus.RESOLVED
            or market.paid_at is not None
            or market.dispute_deadline is None
            or now < market.dispute_deadline
        ):
            return None
        summary = pay_out(uow.session, market, market.winning_outcome_id, now, checkpoint)
        changed(uow, market)
        uow.commit()
    return summary


def due_for_payout(uow: UnitOfWork, now: datetime) -> Sequence[int]:
    with uow:
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
    session: Session,
    market_id: int,
    status: str,
    admin_id: int | None,
    note: str,
    now: datetime,
) -> None:
    for d in session.scalars(
        select(Dispute).where(Dispute.market_id == market_id, Dispute.status == "open")
    ):
        d.status = status
        d.decided_by = admin_id
        d.decision_note = note
        d.decided_at = now
