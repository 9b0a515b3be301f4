"""Mirror live markets as Twitch Predictions on streams whose broadcaster opted in: create
the prediction when the market opens, lock it when the market locks, resolve or cancel it
from the engine's decision. Twitch is a copy for viewers: its failures are recorded on the
prediction's row and never touch our market. Runs from the worker's live-market sweep; a
row is claimed in one short transaction, the request is sent outside any, and the answer
recorded only if nobody moved the row meanwhile."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select

from streambet.adapters.orm.betting import Market
from streambet.adapters.orm.live_markets import LiveMarket
from streambet.adapters.orm.twitch import TwitchChannel, TwitchPrediction
from streambet.adapters.twitch_helix import Prediction
from streambet.domain.accounts import Principal
from streambet.domain.errors import StreamBetError, ValidationFailed
from streambet.domain.markets import MarketStatus
from streambet.domain.twitch import RUNNING, Mirror, PredictionDraft, prediction_of
from streambet.services.live_markets import managed_stream
from streambet.services.markets import load_market, outcomes_of
from streambet.services.read_models import ReadModel
from streambet.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class Helix(Protocol):
    def create_prediction(
        self, token: str, broadcaster_id: str, title: str, outcomes: list[str], window_s: int
    ) -> Prediction: ...

    def end_prediction(
        self,
        token: str,
        broadcaster_id: str,
        prediction_id: str,
        status: str,
        winning_outcome_id: str | None = None,
    ) -> Prediction: ...


class Box(Protocol):
    def seal(self, secret: str) -> str: ...
    def open(self, sealed: str) -> str: ...


@dataclass
class MirrorReport:
    created: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    locked: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class TwitchChannelRead(ReadModel):
    """What the API says of a connected channel: never the token."""

    stream_id: int
    broadcaster_id: str
    mirrored: bool


def connect_twitch(
    uow: UnitOfWork, box: Box, by: Principal, stream_id: int, broadcaster_id: str, token: str
) -> TwitchChannelRead:
    """Opt a stream in (or replace its channel): its live markets get mirrored from now on."""
    if not broadcaster_id.isdigit() or len(broadcaster_id) > 64:
        raise ValidationFailed("broadcaster_id is Twitch's numeric user id.")
    if not token.strip() or len(token) > 512:
        raise ValidationFailed("A user access token with channel:manage:predictions is needed.")
    with uow:
        managed_stream(uow.session, stream_id, by)
        row = uow.session.get(TwitchChannel, stream_id)
        if row is None:
            row = TwitchChannel(stream_id=stream_id)
            uow.session.add(row)
        row.broadcaster_id = broadcaster_id
        row.token_sealed = box.seal(token.strip())
        uow.commit()
    return TwitchChannelRead(stream_id=stream_id, broadcaster_id=broadcaster_id, mirrored=True)


def sync_predictions(
    write: UnitOfWorkFactory, helix: Helix, box: Box, *, now: datetime | None = None
) -> MirrorReport:
    """Brings every connected stream's predictions to where its markets are."""
    at = now or datetime.now(UTC)
    report = MirrorReport()
    with write() as uow:
        fresh = list(
            uow.session.scalars(
                select(Market.id)
                .join(LiveMarket, LiveMarket.market_id == Market.id)
                .join(TwitchChannel, TwitchChannel.stream_id == LiveMarket.stream_id)
                .outerjoin(TwitchPrediction, TwitchPrediction.market_id == Market.id)
                .where(TwitchPrediction.market_id.is_(None), Market.status == "open")
                .order_by(Market.id)
            )
        )
        running = list(
            uow.session.scalars(
                select(TwitchPrediction.market_id)
                .join(Market, Market.id == TwitchPrediction.market_id)
                .where(
                    TwitchPrediction.status.in_(RUNNING),
                    (Market.status != "open") | (TwitchPrediction.status != "active"),
                )
                .order_by(TwitchPrediction.market_id)
            )
        )
    for market_id in fresh:
        _guarded(_create, write, helix, box, market_id, at, report)
    for market_id in running:
        _guarded(_advance, write, helix, box, market_id, at, report)
    return report


def _guarded(
    step: _Step,
    write: UnitOfWorkFactory,
    helix: Helix,
    box: Box,
    market_id: int,
    at: datetime,
    report: MirrorReport,
) -> None:
    try:
        step(write, helix, box, market_id, at, report)
    except Exception:  # one market's trouble must not stop the others
        log.exception("twitch mirror failed", extra={"market_id": market_id})


class _Step(Protocol):
    def __call__(
        self,
        write: UnitOfWorkFactory,
        helix: Helix,
        box: Box,
        market_id: int,
        at: datetime,
        report: MirrorReport,
    ) -> None: ...


@dataclass(frozen=True)
class _Channel:
    broadcaster_id: str
    token: str


def _channel(uow: UnitOfWork, box: Box, stream_id: int) -> _Channel:
    row = uow.session.get(TwitchChannel, stream_id)
    assert row is not None  # only connected streams' markets get here
    return _Channel(row.broadcaster_id, box.open(row.token_sealed))


def _create(
    write: UnitOfWorkFactory,
    helix: Helix,
    box: Box,
    market_id: int,
    at: datetime,
    report: MirrorReport,
) -> None:
    with write() as uow:
        s = uow.session
        market = load_market(s, market_id, lock=True)
        live = s.get(LiveMarket, market_id)
        if live is None or s.get(TwitchPrediction, market_id) is not None:
            return  # another worker claimed it
        busy = s.scalar(
            select(TwitchPrediction.market_id)
            .where(
                TwitchPrediction.stream_id == live.stream_id,
                TwitchPrediction.status.in_((*RUNNING, Mirror.SENDING.value)),
            )
            .limit(1)
        )
        outcomes = outcomes_of(s, market_id)
        plan = _plan(market, [o.title for o in outcomes], busy, at)
        s.add(
            TwitchPrediction(
                market_id=market_id,
                stream_id=live.stream_id,
                outcome_ids={},
                status=(Mirror.SKIPPED if isinstance(plan, str) else Mirror.SENDING).value,
                reason=plan if isinstance(plan, str) else None,
                updated_at=at,
            )
        )
        channel = _channel(uow, box, live.stream_id)
        ours = [o.id for o in outcomes]
        uow.commit()
    if isinstance(plan, str):
        report.skipped.append(market_id)
        log.info("twitch prediction skipped", extra={"market_id": market_id, "reason": plan})
        return
    try:
        made = helix.create_prediction(
            channel.token, channel.broadcaster_id, plan.title, list(plan.outcomes), plan.window_s
        )
    except StreamBetError as exc:
        _record(write, market_id, Mirror.SENDING, Mirror.FAILED, exc.message, report)
        return
    if len(made.outcome_ids) != len(ours):
        _record(write, market_id, Mirror.SENDING, Mirror.FAILED, "outcomes differ", report)
        return
    ids = {str(o): tid for o, tid in zip(ours, made.outcome_ids, strict=True)}
    with write() as uow:
        row = uow.session.get(TwitchPrediction, market_id, with_for_update=True)
        if row is not None and row.status == Mirror.SENDING:
            row.prediction_id = made.id
            row.outcome_ids = ids
            row.status = Mirror.ACTIVE.value
            row.updated_at = datetime.now(UTC)
            uow.commit()
            report.created.append(market_id)


def _plan(
    market: Market, titles: list[str], busy: int | None, at: datetime
) -> PredictionDraft | str:
    """The prediction to send, or why none is."""
    closes = market.closes_at or at
    if market.status != MarketStatus.OPEN or closes <= at:
        return "betting had closed before it could be sent"
    if busy is not None:
        return f"the channel had a prediction running (market {busy}): one at a time"
    try:
        return prediction_of(market.question, titles, (closes - at).total_seconds())
    except ValidationFailed as exc:
        return exc.message


def _advance(
    write: UnitOfWorkFactory,
    helix: Helix,
    box: Box,
    market_id: int,
    at: datetime,
    report: MirrorReport,
) -> None:
    """ACTIVE -> LOCKED once the market locks; -> RESOLVED/CANCELED once it is decided."""
    with write() as uow:
        s = uow.session
        market = load_market(s, market_id)
        row = s.get(TwitchPrediction, market_id)
        if row is None or row.status not in RUNNING or row.prediction_id is None:
            return
        was = Mirror(row.status)
        winner = None
        if market.status == MarketStatus.RESOLVED and market.winning_outcome_id is not None:
            target, winner = Mirror.RESOLVED, row.outcome_ids.get(str(market.winning_outcome_id))
        elif market.status in (MarketStatus.RESOLVED, MarketStatus.CANCELED):
            target = Mirror.CANCELED  # void: every stake back, on Twitch too
        elif market.status != MarketStatus.OPEN and was is Mirror.ACTIVE:
            target = Mirror.LOCKED  # locked, in review or disputed: no more predictions
        else:
            return
        channel = _channel(uow, box, row.stream_id)
        prediction_id = row.prediction_id
    try:
        helix.end_prediction(
            channel.token,
            channel.broadcaster_id,
            prediction_id,
            target.value.upper(),
            winner,
        )
    except ValidationFailed as exc:
        if target is Mirror.LOCKED:
            # Twitch locks a prediction itself when its window ends (betting here may run
            # longer than its 1800 s): no more predictions either way. Resolving it next
            # still tells a real refusal apart.
            _record(write, market_id, was, Mirror.LOCKED, exc.message, report)
        else:
            _record(write, market_id, was, Mirror.FAILED, exc.message, report)
        return
    except StreamBetError as exc:
        _record(write, market_id, was, Mirror.FAILED, exc.message, report)
        return
    _record(write, market_id, was, target, None, report)


def _record(
    write: UnitOfWorkFactory,
    market_id: int,
    was: Mirror,
    now: Mirror,
    reason: str | None,
    report: MirrorReport,
) -> None:
    with write() as uow:
        row = uow.session.get(TwitchPrediction, market_id, with_for_update=True)
        if row is None or row.status != was:
            return  # another worker got there first
        row.status = now.value
        row.reason = reason
        row.updated_at = datetime.now(UTC)
        uow.commit()
    if now is Mirror.FAILED:
        report.failed.append(market_id)
        log.warning("twitch prediction failed", extra={"market_id": market_id, "reason": reason})
    elif now is Mirror.LOCKED:
        report.locked.append(market_id)
    else:
        report.ended.append(market_id)
