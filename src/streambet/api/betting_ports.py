"""What the betting views need from the outside, built once per app: the label vocabulary,
the timeline source, the event publisher, the payout provider and the settlement policy.

Each comes from the app's wiring when the wiring provides it (`vocabulary`, `timelines`,
`events` attributes: the taxonomy, the analysis repository and the event bus), otherwise a
built-in default, so the betting API works on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from streambet.adapters.labels import StaticVocabulary
from streambet.adapters.payouts import MockPayoutProvider, PayoutProvider
from streambet.domain.criteria import LabelVocabulary
from streambet.domain.settlement import Bands
from streambet.services.events import Publish, no_publish
from streambet.services.settlement import SettlementPolicy, TimelineSource
from streambet.vision.timeline import Timeline
from streambet.wiring import wiring

_build_lock = threading.Lock()
KEY = "streambet.betting"


class NoTimelines:
    """Until analyses are stored: no timeline is ever available."""

    def timeline_for(self, analysis_id: str) -> Timeline | None:
        return None


@dataclass
class BettingPorts:
    vocabulary: LabelVocabulary
    timelines: TimelineSource
    publish: Publish
    provider: PayoutProvider
    policy: SettlementPolicy


def ports() -> BettingPorts:
    existing: BettingPorts | None = current_app.extensions.get(KEY)
    if existing is not None:
        return existing
    with _build_lock:
        existing = current_app.extensions.get(KEY)
        if existing is None:
            existing = _build(wiring())
            current_app.extensions[KEY] = existing
    return existing


def _build(w: Any) -> BettingPorts:
    s = w.settings
    bus = getattr(w, "events", None)
    return BettingPorts(
        vocabulary=getattr(w, "vocabulary", None) or StaticVocabulary(),
        timelines=getattr(w, "timelines", None) or NoTimelines(),
        publish=bus.publish if bus is not None else no_publish,
        provider=MockPayoutProvider(s.data_dir / "payouts" / "mock-provider.jsonl"),
        policy=SettlementPolicy(
            Bands(s.auto_settle_confidence, s.review_floor_confidence),
            timedelta(seconds=s.dispute_window_seconds),
        ),
    )
