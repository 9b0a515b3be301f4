"""Settling live markets from their stream's label events and stored samples.

A market's window becomes a timeline (time 0 at the window's start) of what the engine
stored about it: the samples in the stream's chunks, and the label events (stored at once,
so a detection settles seconds after it happens without waiting for its chunk). The
timeline says it was analysed only as far as the coverage reached without a break and the
samples are surely stored (domain/live_markets.coverage), so the clip rules of
domain/settlement decide it unchanged:

- a qualifying detection at or above the auto-settle bar: resolved at once (early YES);
- the whole window covered, nothing at the review floor: resolved NO; in between: review;
- the window not watched whole (a gap, a lost worker, a stopped stream) and not decided by a
  detection: the market's gap rule, review or void (every stake refunded).

In-play wagers still held for their bet delay are decided in the same transaction
(services/bet_delay.py). Each market is decided under its row lock and marked settled, so
any number of workers, and a worker killed midway, settle it exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streambet.adapters.orm.betting import Market
from streambet.adapters.orm.live_markets import HeldWager, LiveMarket
from streambet.adapters.orm.streams import Stream, StreamChunk, StreamEvent, StreamInterval
from streambet.domain.criteria import LabelVocabulary
from streambet.domain.live_markets import (
    Coverage,
    GapRule,
    Hold,
    Step,
    Window,
    coverage,
    next_step,
)
from streambet.domain.markets import MarketStatus, check_transition
from streambet.domain.settlement import decide
from streambet.domain.streams import Interval
from streambet.services.bet_delay import decide_holds, qualifying_ms
from streambet.services.live_markets import SEALED, now_ms, window_read
from streambet.services.markets import changed, load_market
from streambet.services.payouts import pay_out
from streambet.services.settlement import (
    SettlementPolicy,
    outcome_specs,
    record_settlement,
    settle_locked,
)
from streambet.services.unit_of_work import UnitOfWorkFactory
from streambet.timeline import (
    BoundingBox,
    Instance,
    LabelInfo,
    LabelSample,
    Timeline,
    TranscriptWord,
    VideoMetadata,
)

log = logging.getLogger(__name__)
LIVE_MODEL = "live-engine"
DEFAULT_INTERVAL_MS = 500


@dataclass(frozen=True)
class LiveSettlementPolicy:
    settlement: SettlementPolicy
    # A window not covered this long after its end is decided by its gap rule.
    timeout_ms: int = 90_000


def _sample_of_event(e: StreamEvent, origin: int) -> LabelSample:
    instances: tuple[Instance, ...] = ()
    if e.box:
        instances = (Instance(BoundingBox(*e.box), e.confidence),)
    return LabelSample(
        e.stream_ms - origin, e.label, e.confidence, e.confidence, instances, e.source
    )


def window_timeline(
    session: Session,
    stream: Stream,
    window: Window,
    cov: Coverage,
    vocabulary: LabelVocabulary,
) -> Timeline:
    """What the engine stored about the window, as a clip timeline starting at its start."""
    a, b = window.from_ms, window.until_ms
    samples: dict[tuple[int, str], LabelSample] = {}
    for chunk in session.scalars(
        select(StreamChunk).where(
            StreamChunk.stream_id == stream.id,
            StreamChunk.from_ms < b,
            StreamChunk.until_ms >= a,
        )
    ):
        for data in chunk.samples:
            s = LabelSample.from_dict(data)
            if a <= s.timestamp_ms < b:
                samples[(s.timestamp_ms - a, s.name)] = LabelSample(
                    s.timestamp_ms - a,
                    s.name,
                    s.confidence,
                    s.top_confidence,
                    s.instances,
                    s.source,
                )
    words: list[TranscriptWord] = []
    for e in session.scalars(
        select(StreamEvent).where(
            StreamEvent.stream_id == stream.id,
            StreamEvent.stream_ms >= a,
            StreamEvent.stream_ms < b,
            StreamEvent.kind != "end",
        )
    ):
        if e.source == "speech" and e.text:
            t = e.stream_ms - a
            words += [TranscriptWord(w, t, t, e.confidence) for w in e.text.split()]
            continue
        key = (e.stream_ms - a, e.label)
        if key not in samples or samples[key].confidence < e.confidence:
            samples[key] = _sample_of_event(e, a)
    names = {name for _, name in samples}
    options = stream.options or {}
    fps = float(options.get("sample_fps") or 0) or 1000 / DEFAULT_INTERVAL_MS
    analysed = max(0, min(cov.safe_ms, b) - a)
    return Timeline(
        video=VideoMetadata("live", b - a, "live", 0.0, 0, 0),
        model_version=LIVE_MODEL,
        sample_interval_ms=max(1, round(1000 / fps)),
        analysed_from_ms=0,
        analysed_until_ms=analysed,
        samples=sorted(samples.values(), key=lambda s: (s.timestamp_ms, s.name)),
        labels={n: vocabulary.resolve(n) or LabelInfo(n) for n in names},
        engine="live",
        words=sorted(words, key=lambda w: w.start_ms),
        speech_until_ms=analysed if options.get("speech") else 0,
    )


def _intervals(session: Session, stream_id: int, window: Window) -> list[Interval]:
    rows = session.execute(
        select(StreamInterval.from_ms, StreamInterval.until_ms, StreamInterval.end_reason)
        .where(
            StreamInterval.stream_id == stream_id,
            StreamInterval.until_ms >= window.from_ms,
        )
        .order_by(StreamInterval.from_ms)
    ).all()
    return [Interval(f, u, r) for f, u, r in rows]


@dataclass
class LiveSweep:
    settled: list[int] = field(default_factory=list)  # resolved or sent to review
    voided: list[int] = field(default_factory=list)
    holds_decided: int = 0


def settle_live_market(
    write: UnitOfWorkFactory,
    market_id: int,
    vocabulary: LabelVocabulary,
    policy: LiveSettlementPolicy,
    *,
    now: int | None = None,
    report: LiveSweep | None = None,
) -> str | None:
    """Looks at one live market under its row lock: decides its held wagers that can be,
    and settles it when the evidence allows. Returns "resolved", "review", "void" or None
    (nothing to settle yet)."""
    at = now_ms() if now is None else now
    report = report if report is not None else LiveSweep()
    with write() as uow:
        session = uow.session
        market = load_market(session, market_id, lock=True)
        live = session.get(LiveMarket, market_id)
        if live is None or live.settled:
            return None
        if market.status not in SEALED:  # canceled or resolved by a person meanwhile
            report.holds_decided += decide_holds(
                uow,
                market,
                live.bet_delay_ms,
                [],
                0,
                final=True,
                closed=f"the market was {market.status} before the bet delay passed",
            )
            live.settled = True
            uow.commit()
            return None
        stream = session.get(Stream, live.stream_id)
        assert stream is not None  # the live market's row goes with its stream
        window = window_read(live)
        cov = coverage(_intervals(session, stream.id, window), window, at)
        timeline = window_timeline(session, stream, window, cov, vocabulary)
        specs = outcome_specs(session, market_id)
        bands = policy.settlement.bands
        decision = decide(specs, timeline, bands)
        step = Step.DECIDE if decision.resolved else next_step(window, cov, at, policy.timeout_ms)
        detections = qualifying_ms(specs, timeline, bands.review_floor, window.from_ms)
        final = step is not Step.WAIT
        has_holds = live.bet_delay_ms > 0 and session.scalar(
            select(HeldWager.id)
            .where(HeldWager.market_id == market_id, HeldWager.status == Hold.PENDING.value)
            .limit(1)
        )
        if has_holds:
            report.holds_decided += decide_holds(
                uow, market, live.bet_delay_ms, detections, cov.safe_ms, final=final
            )
        if not final:
            if has_holds:
                uow.commit()
            return None
        live.settled = True
        when = datetime.now(UTC)  # `at` may be a test's stream clock; rows keep real time
        if step is Step.GAP and GapRule(live.gap_rule) is GapRule.VOID:
            _void(uow.session, market, window, cov, when)
            changed(uow, market)
            uow.commit()
            report.voided.append(market_id)
            return "void"
        result = settle_locked(uow, market, timeline, policy.settlement, when, None)
        uow.commit()
    report.settled.append(market_id)
    log.info(
        "live market settled",
        extra={"market_id": market_id, "status": result.market.status, "step": step.value},
    )
    return result.market.status


def _void(session: Session, market: Market, window: Window, cov: Coverage, now: datetime) -> None:
    if market.status == MarketStatus.OPEN:
        market.locked_at = now
    check_transition(market.status, MarketStatus.CANCELED)
    market.status = MarketStatus.CANCELED.value
    market.winning_outcome_id = None
    reason = (
        "the stream was not analysed from "
        f"{cov.reach_ms - window.from_ms} ms into the window (a gap in coverage), and no"
        " qualifying detection decided it: void by the market's rule"
    )
    market.note = reason
    record_settlement(
        session,
        market,
        source="evidence",
        decision="void",
        outcome_id=None,
        reason=reason,
        model_version=LIVE_MODEL,
    )
    pay_out(session, market, None, now)


def due_live_markets(read: UnitOfWorkFactory, now: int, stream_id: int | None = None) -> list[int]:
    """Live markets not settled yet whose window has begun, or that hold in-play wagers
    (also when a person canceled or decided the market: those wagers go back)."""
    holding = (
        select(HeldWager.id)
        .where(HeldWager.market_id == LiveMarket.market_id, HeldWager.status == Hold.PENDING.value)
        .exists()
    )
    with read() as uow:
        stmt = (
            select(LiveMarket.market_id)
            .join(Market, Market.id == LiveMarket.market_id)
            .where(
                LiveMarket.settled.is_(False),
                (Market.status.in_(SEALED) & (LiveMarket.window_from_ms <= now)) | holding,
            )
            .order_by(LiveMarket.window_until_ms)
        )
        if stream_id is not None:
            stmt = stmt.where(LiveMarket.stream_id == stream_id)
        return list(uow.session.scalars(stmt))


def sweep_live(
    write: UnitOfWorkFactory,
    read: UnitOfWorkFactory,
    vocabulary: LabelVocabulary,
    policy: LiveSettlementPolicy,
    *,
    now: int | None = None,
    stream_id: int | None = None,
) -> LiveSweep:
    """Every due live market (of `stream_id`, when a label event names the stream), each in
    its own transaction; one failing does not stop the others."""
    at = now_ms() if now is None else now
    report = LiveSweep()
    for market_id in due_live_markets(read, at, stream_id):
        try:
            settle_live_market(write, market_id, vocabulary, policy, now=at, report=report)
        except Exception:
            log.exception("live market settlement failed", extra={"market_id": market_id})
    return report
