"""The demo market `make run` seeds, so a newcomer sees a market working at once."""

from __future__ import annotations

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.domain.criteria import LabelVocabulary
from streambet.services import markets
from streambet.services.markets import MarketView
from streambet.services.unit_of_work import UnitOfWork

DEMO_QUESTION = "Will a cat appear in the demo clip?"


def ensure_demo_market(
    uow: UnitOfWork, vocabulary: LabelVocabulary, operator_id: int, analysis_id: str | None = None
) -> tuple[MarketView, bool]:
    """The demo market, created if missing; True when it was created now."""
    found = uow.session.scalar(select(Market).where(Market.question == DEMO_QUESTION).limit(1))
    if found is not None:
        return markets.view(uow.session, found), False
    v = markets.create_market(
        uow,
        vocabulary,
        operator_id,
        DEMO_QUESTION,
        [
            markets.OutcomeDraft("YES", {"label": "Cat", "min_confidence": 80}),
            markets.OutcomeDraft("NO"),
        ],
        analysis_id=analysis_id,
        takeout_bp=500,
        max_stake=5_000,
    )
    return v, True
