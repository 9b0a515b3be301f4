"""Recurring live markets: "every N minutes: will <label> appear in the next M minutes?".

Period k of a template opens its market at `anchor + k x every` (betting opens then) on
the window that starts `lead` later and lasts `window`. The (template, period) pair is
unique in the database, so however many workers run `open_due` at once, and across
restarts, each period gets exactly one market; a period whose window has already begun
when nobody was running is skipped (its betting would close before it opened).

Each market carries the house's estimate of YES from the stream's observed rate of the
label over the last hour of analysed time (domain/live_markets.house_estimate), shown to
bettors with the rate it came from; the pools themselves start empty (pari-mutuel).
"""

from __future__ import annotations

import logging

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.live_markets import LiveMarket, MarketTemplate
from streambet.adapters.orm.streams import StreamEvent, StreamInterval
from streambet.domain.accounts import Principal, Role
from streambet.domain.criteria import LabelCriterion, LabelVocabulary, parse_criteria
from streambet.domain.errors import NotFound, StreamBetError
from streambet.domain.live_markets import (
    GapRule,
    check_template,
    house_estimate,
    period_of,
)
from streambet.domain.markets import check_terms
from streambet.services.live_markets import (
    LiveTerms,
    create_live_market,
    managed_stream,
    now_ms,
)
from streambet.services.markets import OutcomeDraft
from streambet.services.read_models import EpochMs, ReadModel, read
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
RATE_HISTORY_MS = 3_600_000


class TemplateRead(ReadModel):
    id: int
    stream_id: int
    question: str
    label: str
    min_confidence: float
    every_ms: int
    window_ms: int
    lead_ms: int
    gap_rule: GapRule
    takeout_bp: int
    active: bool
    created_at_ms: EpochMs = Field(validation_alias="created_at")


def create_template(
    uow: UnitOfWork,
    vocabulary: LabelVocabulary,
    by: Principal,
    stream_id: int,
    question: str,
    label: str,
    *,
    min_confidence: float = 80.0,
    every_ms: int,
    window_ms: int,
    lead_ms: int,
    gap_rule: GapRule = GapRule.REVIEW,
    takeout_bp: int = 500,
    now: int | None = None,
) -> TemplateRead:
    check_template(every_ms, window_ms, lead_ms)
    check_terms(question, ["YES", "NO"], takeout_bp, 1, 1)
    criteria = parse_criteria({"label": label, "min_confidence": min_confidence}, vocabulary)
    assert isinstance(criteria, LabelCriterion)
    with uow:
        managed_stream(uow.session, stream_id, by)
        row = MarketTemplate(
            stream_id=stream_id,
            created_by=by.user_id,
            question=question.strip(),
            label=criteria.label,  # the taxonomy's spelling
            min_confidence=min_confidence,
            every_ms=every_ms,
            window_ms=window_ms,
            lead_ms=lead_ms,
            anchor_ms=now_ms() if now is None else now,
            gap_rule=gap_rule.value,
            takeout_bp=takeout_bp,
            active=True,
        )
        uow.session.add(row)
        uow.session.flush()
        result = read(TemplateRead, row)
        uow.commit()
    return result


def list_templates(uow: UnitOfWork, stream_id: int, by: Principal) -> list[TemplateRead]:
    with uow:
        managed_stream(uow.session, stream_id, by)
        rows = uow.session.scalars(
            select(MarketTemplate)
            .where(MarketTemplate.stream_id == stream_id)
            .order_by(MarketTemplate.id.desc())
        )
        return [read(TemplateRead, r) for r in rows]


def stop_template(uow: UnitOfWork, template_id: int, by: Principal) -> TemplateRead:
    """No more periods; the markets it opened run their course."""
    with uow:
        row = uow.session.get(MarketTemplate, template_id, with_for_update=True)
        if row is None or (by.role is not Role.ADMIN and row.created_by != by.user_id):
            raise NotFound("No such template among yours.")
        row.active = False
        result = read(TemplateRead, row)
        uow.commit()
    return result


def observed_rate(
    uow: UnitOfWork, stream_id: int, label: str, now: int
) -> tuple[float, str] | None:
    """Sightings (label `start` events) of `label` per analysed minute over the last hour,
    and a sentence saying so; None without a minute of history."""
    since = now - RATE_HISTORY_MS
    with uow:
        session = uow.session
        starts = session.scalar(
            select(func.count()).where(
                StreamEvent.stream_id == stream_id,
                StreamEvent.label == label,
                StreamEvent.kind == "start",
                StreamEvent.stream_ms >= since,
            )
        )
        spans = session.execute(
            select(StreamInterval.from_ms, StreamInterval.until_ms).where(
                StreamInterval.stream_id == stream_id, StreamInterval.until_ms > since
            )
        ).all()
    minutes = sum(max(0, u - max(f, since)) for f, u in spans) / 60_000
    if minutes < 1:
        return None
    rate = (starts or 0) / minutes
    return rate, (
        f"{starts} sighting(s) of {label} in {minutes:.1f} analysed minutes of the last hour"
        f" ({rate:.2f} a minute)"
    )


def _principal(uow: UnitOfWork, user_id: int) -> Principal | None:
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            return None
        return Principal(user.id, user.email, user.display_name, Role(user.role))


def open_due(
    write: UnitOfWorkFactory,
    read_uow: UnitOfWorkFactory,
    vocabulary: LabelVocabulary,
    *,
    now: int | None = None,
) -> list[int]:
    """Opens the current period's market of every active template that has none yet;
    returns the new markets' ids."""
    at = now_ms() if now is None else now
    with read_uow() as uow:
        templates = list(
            uow.session.scalars(select(MarketTemplate).where(MarketTemplate.active.is_(True)))
        )
        for t in templates:
            uow.session.expunge(t)
    opened = []
    for t in templates:
        period = period_of(t.anchor_ms, t.every_ms, at)
        if period < 0:
            continue
        with read_uow() as uow:
            exists = uow.session.scalar(
                select(LiveMarket.market_id).where(
                    LiveMarket.template_id == t.id, LiveMarket.period == period
                )
            )
        if exists is not None:
            continue
        starts = t.anchor_ms + period * t.every_ms + t.lead_ms
        if starts <= at:
            continue  # too late for this period: betting would close before it opened
        by = _principal(read_uow(), t.created_by)
        if by is None:
            continue
        observed = observed_rate(read_uow(), t.stream_id, t.label, at)
        estimate = None
        if observed is not None:
            estimate = (house_estimate(observed[0], t.window_ms), observed[1])
        try:
            made = create_live_market(
                write(),
                vocabulary,
                by,
                t.stream_id,
                t.question,
                [
                    OutcomeDraft("YES", {"label": t.label, "min_confidence": t.min_confidence}),
                    OutcomeDraft("NO"),
                ],
                LiveTerms(
                    from_ms=starts, until_ms=starts + t.window_ms, gap_rule=GapRule(t.gap_rule)
                ),
                takeout_bp=t.takeout_bp,
                template=(t.id, period),
                estimate=estimate,
                now=at,
            )
        except IntegrityError:
            continue  # another worker opened this period first
        except StreamBetError:
            log.warning("template could not open its market", extra={"template_id": t.id})
            continue
        opened.append(made.market.id)
    return opened
