"""What the betting views need from the outside, taken from the app's wiring: the label
vocabulary (the taxonomy), the timeline source (stored analyses), the event publisher,
the payout provider and the settlement policy."""

from __future__ import annotations

from dataclasses import dataclass

from streambet.adapters.payouts import PayoutProvider
from streambet.domain.criteria import LabelVocabulary
from streambet.services.events import Publish
from streambet.services.settlement import SettlementPolicy, TimelineSource
from streambet.wiring import wiring


@dataclass(frozen=True)
class BettingPorts:
    vocabulary: LabelVocabulary
    timelines: TimelineSource
    publish: Publish
    provider: PayoutProvider
    policy: SettlementPolicy


def ports() -> BettingPorts:
    w = wiring()  # each attribute is built once per app and cached on the wiring
    return BettingPorts(
        vocabulary=w.vocabulary,
        timelines=w.timelines,
        publish=w.events.publish,
        provider=w.payout_provider,
        policy=w.settlement_policy,
    )
