"""Request and response models of the betting API. Money is integer minor units (strict:
"5" or 5.5 is refused), times are integer milliseconds since the epoch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictInt

from streambet.services.disputes import DisputeView
from streambet.services.markets import MarketView
from streambet.services.wagers import WagerView
from streambet.services.wallet import PayoutRequestView


def ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


class OutcomeCreate(BaseModel):
    title: str = Field(max_length=40)
    criteria: dict[str, Any] | None = None


class MarketCreate(BaseModel):
    question: str = Field(max_length=200)
    outcomes: list[OutcomeCreate] | None = Field(
        default=None, description="2-10 outcomes; default YES (with `criteria`) and NO"
    )
    criteria: dict[str, Any] | None = Field(
        default=None, description="Shortcut for the YES outcome's criteria"
    )
    analysis_id: str | None = Field(default=None, max_length=64)
    takeout_bp: StrictInt = 500
    min_stake: StrictInt = 1
    max_stake: StrictInt = 100_000
    opens_at_ms: StrictInt | None = None
    closes_at_ms: StrictInt | None = Field(default=None, ge=0)


class MarketQuery(BaseModel):
    status: Literal["open", "locked", "review", "resolved", "disputed", "canceled"] | None = None
    analysis_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class PageQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class OutcomeRead(BaseModel):
    id: int
    title: str
    criteria: dict[str, Any] | None
    pool: int
    wagers: int
    odds: float | None


class SettlementRead(BaseModel):
    source: str
    decision: str
    outcome_id: int | None
    confidence: float | None
    reason: str
    evidence: dict[str, Any] | None
    model_version: str | None
    decided_at_ms: int


class MarketRead(BaseModel):
    id: int
    question: str
    status: str
    analysis_id: str | None
    takeout_bp: int
    min_stake: int
    max_stake: int
    opens_at_ms: int | None
    closes_at_ms: int | None
    created_at_ms: int
    pool: int
    outcomes: list[OutcomeRead]
    winning_outcome_id: int | None
    dispute_deadline_ms: int | None
    paid_at_ms: int | None
    settlement: SettlementRead | None


class MarketList(BaseModel):
    items: list[MarketRead]
    total: int


class ResolveCreate(BaseModel):
    outcome_id: StrictInt
    note: str = Field(default="", max_length=2000)


class CancelCreate(BaseModel):
    reason: str = Field(default="", max_length=2000)


class WagerCreate(BaseModel):
    outcome_id: StrictInt
    stake: StrictInt


class WagerRead(BaseModel):
    id: int
    market_id: int
    outcome_id: int
    stake: int
    payout: int | None
    created_at_ms: int
    balance: int | None = None


class WagerList(BaseModel):
    items: list[WagerRead]


class DisputeCreate(BaseModel):
    reason: str = Field(max_length=2000)


class DisputeRead(BaseModel):
    id: int
    market_id: int
    user_id: int
    reason: str
    status: str
    decision_note: str | None
    created_at_ms: int
    decided_at_ms: int | None


class DisputeList(BaseModel):
    items: list[DisputeRead]


class RulingCreate(BaseModel):
    decision: Literal["uphold", "overturn"]
    outcome_id: StrictInt | None = Field(
        default=None, description="When overturning: the right outcome; omit to void"
    )
    note: str = Field(default="", max_length=2000)


class AmountCreate(BaseModel):
    amount: StrictInt


class PayoutRequestRead(BaseModel):
    id: int
    direction: str
    amount: int
    status: str
    provider_ref: str | None
    balance: int


def market_read(v: MarketView) -> dict[str, Any]:
    s = v.settlement
    return MarketRead(
        id=v.id,
        question=v.question,
        status=v.status,
        analysis_id=v.analysis_id,
        takeout_bp=v.takeout_bp,
        min_stake=v.min_stake,
        max_stake=v.max_stake,
        opens_at_ms=ms(v.opens_at),
        closes_at_ms=ms(v.closes_at),
        created_at_ms=ms(v.created_at) or 0,
        pool=v.pool,
        outcomes=[OutcomeRead(**o.__dict__) for o in v.outcomes],
        winning_outcome_id=v.winning_outcome_id,
        dispute_deadline_ms=ms(v.dispute_deadline),
        paid_at_ms=ms(v.paid_at),
        settlement=None
        if s is None
        else SettlementRead(
            source=s.source,
            decision=s.decision,
            outcome_id=s.outcome_id,
            confidence=s.confidence,
            reason=s.reason,
            evidence=s.evidence,
            model_version=s.model_version,
            decided_at_ms=ms(s.decided_at) or 0,
        ),
    ).model_dump()


def wager_read(w: WagerView) -> dict[str, Any]:
    return WagerRead(
        id=w.id,
        market_id=w.market_id,
        outcome_id=w.outcome_id,
        stake=w.stake,
        payout=w.payout,
        created_at_ms=ms(w.created_at) or 0,
        balance=w.balance,
    ).model_dump()


def dispute_read(d: DisputeView) -> dict[str, Any]:
    return DisputeRead(
        id=d.id,
        market_id=d.market_id,
        user_id=d.user_id,
        reason=d.reason,
        status=d.status,
        decision_note=d.decision_note,
        created_at_ms=ms(d.created_at) or 0,
        decided_at_ms=ms(d.decided_at),
    ).model_dump()


def payout_request_read(p: PayoutRequestView) -> dict[str, Any]:
    return PayoutRequestRead(
        id=p.id,
        direction=p.direction,
        amount=p.amount,
        status=p.status,
        provider_ref=p.provider_ref,
        balance=p.balance,
    ).model_dump()
