"""Live market test helpers: a stream row, and what its live job would have stored
(coverage intervals, label events, sample chunks), written straight to the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streambet.adapters.orm.streams import Stream, StreamChunk, StreamEvent, StreamInterval
from streambet.domain.accounts import Principal
from streambet.domain.live_markets import GapRule
from streambet.services import live_markets
from streambet.services.live_markets import LiveMarketRead, LiveTerms, now_ms
from streambet.services.markets import OutcomeDraft
from tests.support.betting import Vocabulary


def make_stream(app: Any, owner_id: int, status: str = "live") -> int:
    w = app.extensions["streambet"]
    with w.uow() as uow:
        row = Stream(
            owner_id=owner_id,
            name="cam",
            source_url="replay:/media/cam.mp4",
            options={},
            status=status,
            dropped_samples=0,
            created_at=datetime.now(UTC),
            status_at=datetime.now(UTC),
            attempts=1,
        )
        uow.session.add(row)
        uow.session.flush()
        stream_id = row.id
        uow.commit()
    return stream_id


def cover(
    app: Any, stream_id: int, from_ms: int, until_ms: int, end_reason: str | None = None
) -> None:
    """An analysed interval; no end reason: still open, or its worker died."""
    w = app.extensions["streambet"]
    with w.uow() as uow:
        uow.session.add(
            StreamInterval(
                stream_id=stream_id,
                attempt=1,
                from_ms=from_ms,
                until_ms=until_ms,
                end_reason=end_reason,
            )
        )
        uow.commit()


def detect(
    app: Any,
    stream_id: int,
    at_ms: int,
    label: str = "Person",
    confidence: float = 95.0,
    kind: str = "start",
) -> None:
    """A label event as the live job stores it (its chunk comes later)."""
    w = app.extensions["streambet"]
    with w.uow() as uow:
        uow.session.add(
            StreamEvent(
                stream_id=stream_id,
                kind=kind,
                label=label,
                source="picture",
                stream_ms=at_ms,
                wall_ms=at_ms + 300,
                confidence=confidence,
                box=[0.1, 0.1, 0.3, 0.6],
                frame_ms=at_ms,
            )
        )
        uow.commit()


def chunk(app: Any, stream_id: int, samples: list[tuple[int, str, float]]) -> None:
    w = app.extensions["streambet"]
    data = [
        {"timestamp_ms": t, "name": n, "confidence": c, "top_confidence": c, "instances": []}
        for t, n, c in samples
    ]
    with w.uow() as uow:
        uow.session.add(
            StreamChunk(
                stream_id=stream_id,
                from_ms=min(t for t, _, _ in samples),
                until_ms=max(t for t, _, _ in samples),
                samples=data,
            )
        )
        uow.commit()


def person_market(
    app: Any,
    operator: Principal,
    stream_id: int,
    from_ms: int,
    until_ms: int,
    *,
    gap_rule: GapRule = GapRule.REVIEW,
    in_play: bool = False,
    bet_delay_ms: int = 0,
    takeout_bp: int = 0,
) -> LiveMarketRead:
    """ "Will a person appear?" on a window of the stream (YES with criteria, NO otherwise)."""
    w = app.extensions["streambet"]
    return live_markets.create_live_market(
        w.uow(),
        Vocabulary(),
        operator,
        stream_id,
        "A person in the window?",
        [OutcomeDraft("YES", {"label": "Person"}), OutcomeDraft("NO")],
        LiveTerms(
            from_ms=from_ms,
            until_ms=until_ms,
            in_play=in_play,
            bet_delay_ms=bet_delay_ms,
            gap_rule=gap_rule,
        ),
        takeout_bp=takeout_bp,
        now=now_ms(),
    )
