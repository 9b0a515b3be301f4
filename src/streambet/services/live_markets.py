"""Live market use cases: open a market on a window of a stream, read its live side, list a
stream's markets. Settling them: services/live_settlement.py; in-play wagers:
services/bet_delay.py; recurring templates: services/market_templates.py."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import Market
from streambet.adapters.orm.live_markets import LiveMarket
from streambet.adapters.orm.streams import Stream, StreamEvent
from streambet.adapters.storage import Storage, StorageError
from streambet.domain.accounts import Principal, Role
from streambet.domain.criteria import LabelVocabulary
from streambet.domain.errors import NotFound
from streambet.domain.live_markets import GapRule, Window, betting_of, window_of
from streambet.domain.markets import MarketStatus
from streambet.services import markets
from streambet.services.live_frames import frame_key
from streambet.services.markets import MarketRead, OutcomeDraft, load_market, market_read
from streambet.services.read_models import ReadModel, read
from streambet.services.unit_of_work import UnitOfWork


def now_ms() -> int:
    """Stream time is the wall clock (domain/streams.py)."""
    return int(time.time() * 1000)


SEALED = (MarketStatus.OPEN.value, MarketStatus.LOCKED.value)
EVIDENCE_FRAMES = 20


class EvidenceFrame(ReadModel):
    """A label event of the window with its evidence picture (GET .../live/frames/{ms})."""

    stream_ms: int
    label: str
    confidence: float
    box: list[float] | None


class LiveRead(ReadModel):
    stream_id: int
    window_from_ms: int
    window_until_ms: int
    in_play: bool
    bet_delay_ms: int
    gap_rule: GapRule
    template_id: int | None
    estimate: float | None
    estimate_basis: str | None
    # The window's label events: empty while the market is open or locked (sealed).
    evidence_frames: list[EvidenceFrame]


class LiveMarketRead(ReadModel):
    market: MarketRead
    live: LiveRead


@dataclass(frozen=True)
class LiveTerms:
    """A live market's window and betting, as asked for (validated by the domain)."""

    from_ms: int | None = None
    until_ms: int | None = None
    minutes: float | None = None
    in_play: bool = False
    bet_delay_ms: int = 0
    closes_ms: int | None = None
    gap_rule: GapRule = GapRule.REVIEW


def managed_stream(session: Session, stream_id: int, by: Principal) -> Stream:
    """Markets go on your own stream (an admin's: anyone's): its evidence becomes theirs."""
    stream = session.get(Stream, stream_id)
    if stream is None or (by.role is not Role.ADMIN and stream.owner_id != by.user_id):
        raise NotFound("No such stream among yours.")
    return stream


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def create_live_market(
    uow: UnitOfWork,
    vocabulary: LabelVocabulary,
    by: Principal,
    stream_id: int,
    question: str,
    outcomes: Sequence[OutcomeDraft],
    terms: LiveTerms,
    *,
    takeout_bp: int = 500,
    min_stake: int = 1,
    max_stake: int = 100_000,
    template: tuple[int, int] | None = None,
    estimate: tuple[float, str] | None = None,
    now: int | None = None,
) -> LiveMarketRead:
    """A market on a window of the stream's clock, settled from its label events.
    `template`: (template id, period) of a recurring template (unique together)."""
    at = now_ms() if now is None else now
    window = window_of(at, from_ms=terms.from_ms, until_ms=terms.until_ms, minutes=terms.minutes)
    betting = betting_of(
        window,
        at,
        in_play=terms.in_play,
        bet_delay_ms=terms.bet_delay_ms,
        closes_ms=terms.closes_ms,
    )

    def attach(session: Session, market: Market) -> None:
        managed_stream(session, stream_id, by)
        session.add(
            LiveMarket(
                market_id=market.id,
                stream_id=stream_id,
                window_from_ms=window.from_ms,
                window_until_ms=window.until_ms,
                in_play=terms.in_play,
                bet_delay_ms=betting.bet_delay_ms,
                gap_rule=terms.gap_rule.value,
                settled=False,
                template_id=template[0] if template else None,
                period=template[1] if template else None,
                estimate=estimate[0] if estimate else None,
                estimate_basis=estimate[1] if estimate else None,
            )
        )
        session.flush()

    made = markets.create_market(
        uow,
        vocabulary,
        by,
        question,
        outcomes,
        takeout_bp=takeout_bp,
        min_stake=min_stake,
        max_stake=max_stake,
        opens_at=_at(at),
        closes_at=_at(betting.closes_ms),
        attach=attach,
    )
    with uow:
        return live_market_read(uow.session, load_market(uow.session, made.id))


def live_read(session: Session, live: LiveMarket, status: str) -> LiveRead:
    frames: list[EvidenceFrame] = []
    if status not in SEALED:
        rows = session.scalars(
            select(StreamEvent)
            .where(
                StreamEvent.stream_id == live.stream_id,
                StreamEvent.stream_ms >= live.window_from_ms,
                StreamEvent.stream_ms < live.window_until_ms,
                StreamEvent.frame_ms.is_not(None),
                StreamEvent.kind != "end",
            )
            .order_by(StreamEvent.confidence.desc())
            .limit(EVIDENCE_FRAMES)
        )
        frames = [EvidenceFrame.model_validate(r) for r in rows]
    return read(LiveRead, live, evidence_frames=frames)


def live_market_read(session: Session, market: Market) -> LiveMarketRead:
    live = session.get(LiveMarket, market.id)
    if live is None:
        raise NotFound(f"Market {market.id} is not on a stream.")
    return LiveMarketRead(
        market=market_read(session, market), live=live_read(session, live, market.status)
    )


def get_live_market(uow: UnitOfWork, market_id: int) -> LiveMarketRead:
    with uow:
        return live_market_read(uow.session, load_market(uow.session, market_id))


def stream_markets(
    uow: UnitOfWork, stream_id: int | None, *, since_ms: int | None = None, limit: int = 50
) -> list[LiveMarketRead]:
    """Live markets (of one stream, or of all) whose window ends after `since_ms` (default:
    the last hour), the soonest first: open, upcoming and just settled."""
    since = now_ms() - 3_600_000 if since_ms is None else since_ms
    with uow:
        session = uow.session
        stmt = (
            select(Market)
            .join(LiveMarket, LiveMarket.market_id == Market.id)
            .where(LiveMarket.window_until_ms > since)
            .order_by(LiveMarket.window_from_ms, Market.id)
            .limit(limit)
        )
        if stream_id is not None:
            if session.get(Stream, stream_id) is None:
                raise NotFound("No such stream.")
            stmt = stmt.where(LiveMarket.stream_id == stream_id)
        return [live_market_read(session, m) for m in session.scalars(stmt)]


def evidence_frame(
    uow: UnitOfWork, storage: Storage, market_id: int, offset_ms: int
) -> tuple[int, bytes]:
    """The evidence picture of a label event `offset_ms` into the market's window, for
    anyone logged in once the market is settled; until then as if it did not exist."""
    with uow:
        market = load_market(uow.session, market_id)
        live = uow.session.get(LiveMarket, market_id)
        if live is None or market.status in SEALED:
            raise NotFound("No evidence to show for this market (yet).")
        at = live.window_from_ms + offset_ms
        found = uow.session.scalar(
            select(StreamEvent.frame_ms).where(
                StreamEvent.stream_id == live.stream_id, StreamEvent.frame_ms == at
            )
        )
        if found is None or not live.window_from_ms <= at < live.window_until_ms:
            raise NotFound("No evidence frame at that time of the window.")
        stream_id = live.stream_id
    try:
        with storage.open(frame_key(stream_id, at)) as fh:
            return at, fh.read()
    except (FileNotFoundError, StorageError):
        raise NotFound("That evidence frame is gone (retention).") from None


def window_read(live: LiveMarket) -> Window:
    return Window(live.window_from_ms, live.window_until_ms)
