"""The original endpoints, same shapes: `GET /api/bets` and `POST /api/resolve`.

Without a token (outside production) they act as the demo operator, as the original did.
`POST /api/resolve` takes the market (`bet_id`, or `market_id`) and either nothing (the
market's own analysis is used) or the labels the original client got from `/api/analyze`,
settles the market with the same confidence bands as the resource API, and answers in the
original shape (plus a few extra fields). Like lock, cancel and settle, only the operator
who made the market (or an admin) may; reported labels are taken in production only by a
market created for them (`evidence: "client"`), and then go to review
(services/settlement.settle_reported).
"""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, Field, model_validator

from streambet.api.auth import principal, requires
from streambet.api.openapi import documented
from streambet.api.validation import INT32_MAX, parse_json
from streambet.domain.accounts import Role
from streambet.domain.markets import MarketStatus
from streambet.domain.settlement import ReportedLabel, reported_timeline
from streambet.services import markets, settlement
from streambet.services.markets import MarketRead, OutcomeRead
from streambet.wiring import wiring

bp = Blueprint("bets", __name__)
TAGS = ("original",)
MAX_LABELS = 1000
MAX_TIMESTAMPS = 10_000


class BetOdds(BaseModel):
    yes: float | None
    no: float | None


class BetRead(BaseModel):
    id: int
    event: str
    odds: BetOdds
    pool: int
    status: str = Field(description='"active" or "resolved"')


# Rekognition's own limit on stored video (6 h); anything past it, or not finite, is refused.
MAX_SECONDS = 6 * 3600
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]


class LabelIn(BaseModel):
    label: str = Field(max_length=128)
    confidence: float = Field(ge=0, le=100)
    timestamps: list[Seconds] = Field(default_factory=list, max_length=MAX_TIMESTAMPS)
    category: str | None = Field(default=None, max_length=128)


class ResolveCompatCreate(BaseModel):
    # lax ints (the original client's "5" still works), bounded like every id
    bet_id: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None
    market_id: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None
    labels: list[LabelIn] | None = Field(default=None, max_length=MAX_LABELS)
    duration_seconds: float | None = Field(
        default=None, gt=0, le=MAX_SECONDS, description="How much video the labels cover, from 0"
    )

    @model_validator(mode="after")
    def _one_id(self) -> ResolveCompatCreate:
        if (self.bet_id is None) == (self.market_id is None):
            raise ValueError("give exactly one of bet_id or market_id")
        return self


class ResolveCompatRead(BaseModel):
    status: str = Field(description='"resolved" or "failed"')
    outcome: str | None
    confidence: float
    payout_triggered: bool
    detected_at: list[float]
    market_status: str
    reason: str


def _binary(market: MarketRead) -> tuple[OutcomeRead, OutcomeRead] | None:
    if len(market.outcomes) != 2:
        return None
    by_title = {o.title.upper(): o for o in market.outcomes}
    if {"YES", "NO"} <= by_title.keys():
        return by_title["YES"], by_title["NO"]
    return market.outcomes[0], market.outcomes[1]


@bp.get("/api/bets")
@documented(
    "Markets in the original shape (two-outcome markets, newest first)",
    tags=TAGS,
    responses={200: BetRead, 401: None, 403: None},
)
@requires(Role.BETTOR, compat=True)
def list_bets() -> Response:
    found, _ = markets.list_markets(wiring().read_uow(), limit=200)
    out = []
    for market in found:
        pair = _binary(market)
        if pair is None:
            continue
        yes, no = pair
        done = market.status in (MarketStatus.RESOLVED, MarketStatus.CANCELED)
        out.append(
            {
                "id": market.id,
                "event": market.question,
                "odds": {"yes": yes.odds, "no": no.odds},
                "pool": market.pool,
                "status": "resolved" if done else "active",
            }
        )
    return jsonify(out)


@bp.post("/api/resolve")
@documented(
    "Resolve a market from evidence, in the original shape",
    tags=TAGS,
    body=ResolveCompatCreate,
    responses={200: ResolveCompatRead, 400: None, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR, compat=True)
def resolve() -> Response:
    body = parse_json(ResolveCompatCreate)
    market_id = body.bet_id if body.bet_id is not None else body.market_id
    assert market_id is not None
    w = wiring()
    reported = None
    if body.labels is not None:
        reported = reported_timeline(
            [ReportedLabel(i.label, i.confidence, i.timestamps) for i in body.labels],
            round((body.duration_seconds or 0) * 1000),
            w.vocabulary,
        )
    result = settlement.settle_reported(
        w.uow, market_id, w.timelines, w.settlement_policy, reported, principal()
    )
    decision = result.decision
    assert decision is not None
    titles = {o.id: o.title for o in result.market.outcomes}
    outcome = titles.get(decision.outcome_id) if decision.outcome_id is not None else None
    return jsonify(
        {
            "status": "resolved" if decision.resolved else "failed",
            "outcome": outcome.upper() if outcome else None,
            "confidence": decision.confidence,
            "payout_triggered": decision.resolved,
            "detected_at": [t / 1000 for t in decision.detected_at_ms],
            "market_status": result.market.status,
            "reason": decision.reason,
        }
    )
