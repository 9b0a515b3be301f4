"""Disputes: a bettor with a stake challenges a resolution inside the dispute window; an
admin upholds the resolution or overturns it (to another outcome or to void), and the
market pays out in that same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import Field
from sqlalchemy import select

from streambet.adapters.orm.betting import Dispute, Market, Wager
from streambet.domain.accounts import Principal, Role
from streambet.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from streambet.domain.markets import MarketStatus, check_transition
from streambet.services.markets import MarketRead, changed, load_market, market_read
from streambet.services.payouts import Checkpoint, no_checkpoint, pay_out
from streambet.services.read_models import EpochMs, OptionalEpochMs, ReadModel
from streambet.services.settlement import check_outcome, close_disputes, record_settlement
from streambet.services.unit_of_work import UnitOfWork

MAX_REASON = 2000


class DisputeRead(ReadModel):
    id: int
    market_id: int
    user_id: int
    reason: str
    status: str
    decision_note: str | None
    created_at_ms: EpochMs = Field(validation_alias="created_at")
    decided_at_ms: OptionalEpochMs = Field(validation_alias="decided_at")


class ReviewItem(ReadModel):
    market: MarketRead
    disputes: list[DisputeRead]


def open_dispute(
    uow: UnitOfWork,
    market_id: int,
    user_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> DisputeRead:
    now = now or datetime.now(UTC)
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise ValidationFailed(
            f"A dispute needs a reason of 1 to {MAX_REASON} characters.",
            details={"field": "reason"},
        )
    with uow:
        session = uow.session
        market = load_market(session, market_id, lock=True)
        staked = session.scalar(
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
        existing = session.scalar(
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
        session.add(dispute)
        changed(uow, market)
        result = DisputeRead.model_validate(dispute)
        uow.commit()
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
) -> DisputeRead:
    """Final: decides every open dispute on the market and pays out."""
    now = now or datetime.now(UTC)
    with uow:
        session = uow.session
        dispute = session.get(Dispute, dispute_id)
        if dispute is None:
            raise NotFound(f"No dispute {dispute_id}.")
        market: Market = load_market(session, dispute.market_id, lock=True)
        if market.status != MarketStatus.DISPUTED or dispute.status != "open":
            raise Conflict("This dispute has already been decided.", code="dispute_decided")
        winner = market.winning_outcome_id
        if not ruling.uphold:
            check_outcome(session, market.id, ruling.outcome_id)
            winner = ruling.outcome_id
        status = "upheld" if ruling.uphold else "overturned"
        close_disputes(session, market.id, status, admin_id, ruling.note, now)
        market.winning_outcome_id = winner
        if winner is None:
            check_transition(market.status, MarketStatus.CANCELED)
            market.status = MarketStatus.CANCELED.value
        else:
            check_transition(market.status, MarketStatus.RESOLVED)
            market.status = MarketStatus.RESOLVED.value
        record_settlement(
            session,
            market,
            source="dispute",
            decision="resolved" if winner is not None else "void",
            outcome_id=winner,
            reason=f"dispute {status}: {ruling.note}".strip(),
            decided_by=admin_id,
        )
        pay_out(session, market, winner, now, checkpoint)
        changed(uow, market)
        result = DisputeRead.model_validate(dispute)
        uow.commit()
    return result


def _disputes(
    uow: UnitOfWork,
    *,
    market_id: int | None = None,
    user_id: int | None = None,
    status: str | None = None,
) -> list[DisputeRead]:
    stmt = select(Dispute)
    if market_id is not None:
        stmt = stmt.where(Dispute.market_id == market_id)
    if user_id is not None:
        stmt = stmt.where(Dispute.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Dispute.status == status)
    return [DisputeRead.model_validate(d) for d in uow.session.scalars(stmt.order_by(Dispute.id))]


def market_disputes(uow: UnitOfWork, market_id: int, viewer: Principal) -> list[DisputeRead]:
    """A market's disputes: a bettor sees only their own; operators and admins see all."""
    mine = viewer.user_id if viewer.role is Role.BETTOR else None
    with uow:
        load_market(uow.session, market_id)
        return _disputes(uow, market_id=market_id, user_id=mine)


def review_queue(uow: UnitOfWork, limit: int = 200) -> list[ReviewItem]:
    """Markets waiting for a person: evidence in the review band, then open disputes."""
    items = []
    with uow:
        for status in (MarketStatus.REVIEW, MarketStatus.DISPUTED):
            found = uow.session.scalars(
                select(Market)
                .where(Market.status == status.value)
                .order_by(Market.id.desc())
                .limit(limit)
            )
            for market in found:
                disputes = _disputes(uow, market_id=market.id, status="open")
                items.append(ReviewItem(market=market_read(uow.session, market), disputes=disputes))
    return items
