"""The demo stream's recurring market (`make run`): every two minutes, "Will a person appear
in the next minute?", betting open for the 30 s before each window, so a newcomer can bet
on the next window within a minute or two of starting and watch it settle."""

from __future__ import annotations

from sqlalchemy import select

from streambet.adapters.orm.live_markets import MarketTemplate
from streambet.domain.accounts import Principal
from streambet.domain.criteria import LabelVocabulary
from streambet.domain.live_markets import GapRule
from streambet.services import market_templates
from streambet.services.unit_of_work import UnitOfWorkFactory

QUESTION = "Will a person appear in the next minute?"


def seed_demo_template(
    uow: UnitOfWorkFactory, vocabulary: LabelVocabulary, operator: Principal, stream_id: int
) -> int:
    """The demo template's id, created on the demo stream unless it already has one."""
    with uow() as u:
        found = u.session.scalar(
            select(MarketTemplate.id).where(
                MarketTemplate.stream_id == stream_id, MarketTemplate.active.is_(True)
            )
        )
    if found is not None:
        return found
    return market_templates.create_template(
        uow(),
        vocabulary,
        operator,
        stream_id,
        QUESTION,
        "Person",
        every_ms=120_000,
        window_ms=60_000,
        lead_ms=30_000,
        gap_rule=GapRule.VOID,
        takeout_bp=0,
    ).id
