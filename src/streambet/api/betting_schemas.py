"""Request models of the betting API, and the lists around the read models the use cases
return (services/*: MarketRead, WagerRead, DisputeRead, PayoutRequestRead, which the API
serves as they are). Money is integer minor units (strict: "5" or 5.5 is refused), times
are integer milliseconds since the epoch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictInt

from streambet.api.validation import DbId, EpochMs, Offset
from streambet.domain.errors import ValidationFailed
from streambet.domain.markets import Evidence
from streambet.services.disputes import DisputeRead
from streambet.services.markets import MarketRead, OutcomeDraft
from streambet.services.wagers import WagerRead

__all__ = ["DisputeRead", "MarketRead", "WagerRead"]


ANALYSIS_ID = "^[0-9a-f]{32}$"


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


class OutcomeCreate(BaseModel):
    title: str = Field(max_length=40)
    criteria: dict[str, Any] | None = None


class MarketOutcomes(BaseModel):
    outcomes: list[OutcomeCreate] | None = Field(
        default=None, description="2-10 outcomes; default YES (with `criteria`) and NO"
    )
    criteria: dict[str, Any] | None = Field(
        default=None, description="Shortcut for the YES outcome's criteria"
    )

    def drafts(self) -> list[OutcomeDraft]:
        """The outcomes asked for: as given, or YES (with `criteria`) and NO."""
        if self.outcomes is not None:
            if self.criteria is not None:
                raise ValidationFailed(
                    "Give either `outcomes` (each with its criteria) or the YES/NO shortcut"
                    " `criteria`.",
                    details={"field": "criteria"},
                )
            return [OutcomeDraft(o.title, o.criteria) for o in self.outcomes]
        return [OutcomeDraft("YES", self.criteria), OutcomeDraft("NO")]


class CriteriaCheckRead(BaseModel):
    settles: Literal["engine", "review"] = Field(
        description='"review": the criteria name labels the engine\'s precision was not'
        " measured for, so a person decides the market whatever the engine reports"
    )
    unmeasured_labels: list[str]
    message: str


class MarketCreate(MarketOutcomes):
    question: str = Field(max_length=200)
    analysis_id: str | None = Field(default=None, pattern=ANALYSIS_ID)
    evidence: Evidence = Field(
        default=Evidence.ENGINE,
        description='"engine": settled by its footage\'s evidence; "client": a market without'
        " footage, for clients of POST /api/resolve that report labels (always reviewed)",
    )
    takeout_bp: StrictInt = 500
    min_stake: StrictInt = 1
    max_stake: StrictInt = 100_000
    opens_at_ms: EpochMs | None = None
    closes_at_ms: EpochMs | None = None


class MarketQuery(BaseModel):
    status: Literal["open", "locked", "review", "resolved", "disputed", "canceled"] | None = None
    analysis_id: str | None = Field(default=None, pattern=ANALYSIS_ID)
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class PageQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=500)
    offset: Offset = 0


class MarketList(BaseModel):
    items: list[MarketRead]
    total: int


class ResolveCreate(BaseModel):
    outcome_id: DbId
    note: str = Field(default="", max_length=2000)


class CancelCreate(BaseModel):
    reason: str = Field(default="", max_length=2000)


class WagerCreate(BaseModel):
    outcome_id: DbId
    stake: StrictInt  # its range is the market's (domain.markets.check_wager)


class WagerList(BaseModel):
    items: list[WagerRead]


class DisputeCreate(BaseModel):
    reason: str = Field(max_length=2000)


class DisputeList(BaseModel):
    items: list[DisputeRead]


class RulingCreate(BaseModel):
    decision: Literal["uphold", "overturn"]
    outcome_id: DbId | None = Field(
        default=None, description="When overturning: the right outcome; omit to void"
    )
    note: str = Field(default="", max_length=2000)


class AmountCreate(BaseModel):
    amount: StrictInt
