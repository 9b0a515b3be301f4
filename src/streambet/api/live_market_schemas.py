"""Request models of the live markets API (services/live_markets.py and friends return
the read models it serves). Stream times are integer epoch milliseconds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictInt

from streambet.api.betting_schemas import MarketCreate, OutcomeCreate
from streambet.api.validation import DbId, EpochMs
from streambet.domain.live_markets import MAX_BET_DELAY_MS, GapRule
from streambet.services.bet_delay import HeldWagerRead
from streambet.services.live_markets import LiveMarketRead, LiveTerms
from streambet.services.market_templates import TemplateRead
from streambet.services.markets import OutcomeDraft


class LiveMarketCreate(BaseModel):
    """A market on a window of the stream: `from_ms` and `until_ms`, or the next `minutes`
    from `from_ms` (default now). Betting closes when the window opens (`closes_at_ms`
    may make it earlier); `in_play` takes wagers during the window, each held for
    `bet_delay_ms`. Criteria times (`start_ms`, `end_ms`) count from the window's start."""

    question: str = Field(max_length=200)
    outcomes: list[OutcomeCreate] | None = Field(
        default=None, description="2-10 outcomes; default YES (with `criteria`) and NO"
    )
    criteria: dict[str, Any] | None = Field(
        default=None, description="Shortcut for the YES outcome's criteria"
    )
    takeout_bp: StrictInt = 500
    min_stake: StrictInt = 1
    max_stake: StrictInt = 100_000
    closes_at_ms: EpochMs | None = None
    from_ms: EpochMs | None = None
    until_ms: EpochMs | None = None
    minutes: float | None = Field(default=None, gt=0, le=360)
    in_play: bool = False
    bet_delay_ms: StrictInt | None = Field(
        default=None, ge=1, le=MAX_BET_DELAY_MS, description="Default: the server's setting"
    )
    gap_rule: GapRule = Field(
        default=GapRule.REVIEW,
        description="A window the engine could not watch whole, undecided by a detection:"
        " review (an admin decides) or void (every stake refunded)",
    )

    def drafts(self) -> list[OutcomeDraft]:
        return MarketCreate(
            question=self.question, outcomes=self.outcomes, criteria=self.criteria
        ).drafts()

    def terms(self, default_delay_ms: int) -> LiveTerms:
        return LiveTerms(
            from_ms=self.from_ms,
            until_ms=self.until_ms,
            minutes=self.minutes,
            in_play=self.in_play,
            bet_delay_ms=(self.bet_delay_ms or default_delay_ms) if self.in_play else 0,
            closes_ms=self.closes_at_ms,
            gap_rule=self.gap_rule,
        )


class LiveMarketList(BaseModel):
    items: list[LiveMarketRead]


class HeldWagerCreate(BaseModel):
    outcome_id: DbId
    stake: StrictInt


class HeldWagerList(BaseModel):
    items: list[HeldWagerRead]


class TemplateCreate(BaseModel):
    question: str = Field(max_length=200, description='e.g. "A person in the next 2 minutes?"')
    label: str = Field(max_length=128)
    min_confidence: float = Field(default=80.0, gt=0, le=100)
    every_minutes: float = Field(gt=0, le=24 * 60)
    window_minutes: float = Field(gt=0, le=360)
    lead_seconds: float = Field(default=30.0, gt=0, le=24 * 3600)
    gap_rule: GapRule = GapRule.REVIEW
    takeout_bp: StrictInt = 500


class TemplateList(BaseModel):
    items: list[TemplateRead]
