"""Disputes: a bettor with a stake challenges a resolution inside the dispute window; an
admin upholds the resolution or overturns it (to another outcome or to void), and the
market pays out in that same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from streambet.adapters.orm.betting import Dispute, Market, Wager
from streambet.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from streambet.domain.markets import MarketStatus, check_transition
from streambet.services.events import Publish, no_publish
from streambet.services.markets import load_market, publish_status, view
from streambet.services.payouts import Checkpoint, no_checkpoint, pay_out
from streambet.services.settlement import check_outcome, close_disputes, record_settlement
from streambet.services.unit_of_work import UnitOfWork

MAX_REASON = 2000


@dataclass(frozen=True)
class DisputeView:
    id: int
    market_id: int
    user_id: int
    reason: str
    status: str
    decision_note: str | None
    created_at: datetime
    decided_at: datetime | None


def _view(d: Dispute) -> DisputeView:
    return DisputeView(
        d.id,
        d.market_id,
        d.user_id,
        d.reason,
        d.status,
        d.decision_note,
        d.created_at,
        d.decided_at,
    )


def open_dispute(
    uow: UnitOfWork,
    market_id: int,
    user_id: int,
    reason: str,
    *,
    now: datetime | None = None,
    publish: Publish = no_publish,
) -> DisputeView:
    now = now or datetime.now(UTC)
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise ValidationFailed(
            f"A dispute needs a reason of 1 to {MAX_REASON} characters.",
            details={"field": "reason"},
        )
    market = load_market(uow.session, market_id, lock=True)
    staked = uow.session.scalar(
        select(Wager.id).where(Wager.market_id == market_id, Wager.user_id == user_id).limit(1)
    )
    if staked is None:
        raise PermissionDenied("Only bettors with a stake in this market may dispute it.")
    if market.status not in (MarketStatus.RESOLVED, MarketStatus.DISPUTED):
        raise Conflict("Only a resolved market can be disputed.", code="not_disputable")
    if (
        market.paid_at is not None
        or market.dispute_deadline is None
        or now >= market.dispute_deadline
    ):
        raise Conflict("The dispute window has closed.", code="dispute_window_closed")
    existing = uow.session.scalar(
        select(Dispute).where(Dispute.market_id == market_id, Dispute.user_id == user_id)
    )
    if existing is not None:
        raise Conflict(
            "You have already disputed this market.", details={"dispute_id": existing.id}
        )
    if market.status == MarketStatus.RESOLVED:
        check_transition(market.status, MarketStatus.DISPUTED)
        market.status = MarketStatus.DISPUTED.value
    dispute = Dispute(
        market_id=market_id, user_id=user_id, reason=reason, status="open", created_at=now
    )
    uow.session.add(dispute)
    uow.session.flush()
    result = _view(dispute)
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return result


@dataclass(frozen=True)
class Ruling:
    uphold: bool  # True: the resolution stands
    outcome_id: int | None = None  # when overturning: the right outcome, None = void
    note: str = ""


def decide_dispute(
    uow: UnitOfWork,
    dispute_id: int,
    admin_id: int,
    ruling: Ruling,
    *,
    now: datetime | None = None,
    checkpoint: Checkpoint = no_checkpoint,
    publish: Publish = no_publish,
) -> DisputeView:
    """Final: decides every open dispute on the market and pays out."""
    now = now or datetime.now(UTC)
    dispute = uow.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound(f"No dispute {dispute_id}.")
    market: Market = load_market(uow.session, dispute.market_id, lock=True)
    if market.status != MarketStatus.DISPUTED or dispute.status != "open":
        raise Conflict("This dispute has already been decided.", code="dispute_decided")
    winner = market.winning_outcome_id
    if not ruling.uphold:
        check_outcome(uow, market.id, ruling.outcome_id)
        winner = ruling.outcome_id
    status = "upheld" if ruling.uphold else "overturned"
    close_disputes(uow, market.id, status, admin_id, ruling.note, now)
    market.winning_outcome_id = winner
    if winner is None:
        check_transition(market.status, MarketStatus.CANCELED)
        market.status = MarketStatus.CANCELED.value
    else:
        check_transition(market.status, MarketStatus.RESOLVED)
        market.status = MarketStatus.RESOLVED.value
    record_settlement(
        uow,
        market,
        source="dispute",
        decision="resolved" if winner is not None else "void",
        outcome_id=winner,
        reason=f"dispute {status}: {ruling.note}".strip(),
        decided_by=admin_id,
    )
    pay_out(uow.session, market, winner, now, checkpoint)
    uow.session.flush()
    result = _view(dispute)
    v = view(uow.session, market)
    uow.commit()
    publish_status(publish, v)
    return result


def disputes_of(
    uow: UnitOfWork,
    *,
    market_id: int | None = None,
    user_id: int | None = None,
    status: str | None = None,
) -> list[DisputeView]:
    stmt = select(Dispute)
    if market_id is not None:
        stmt = stmt.where(Dispute.market_id == market_id)
    if user_id is not None:
        stmt = stmt.where(Dispute.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Dispute.status == status)
    return [_view(d) for d in uow.session.scalars(stmt.order_by(Dispute.id))]
