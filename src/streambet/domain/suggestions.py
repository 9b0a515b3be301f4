"""Market suggestions from an analysis: the one place they are computed.

The API serves them with the analysis (`?format=timeline` -> `suggestions`), the web app
shows them, and the original /api/analyze body's `betting_suggestion` is the first of them
(`betting_suggestion()`), so an old client and the web app suggest the same market.

A suggestion is a market the engine can settle by itself: a label seen clearly (at or
above the auto-settle confidence), among the labels the engine's precision was measured
for (`settleable`; None: every label), not too generic to make a bet, written as a plain
question ("Will a bicycle appear?", "Will music be heard?"). The most prominent subject
comes first: moments seen confidently times how much of the picture it fills (its largest
box; a label without boxes counts as a quarter of the frame).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from streambet.timeline import LabelSample, Timeline

SOUND_CATEGORY = "Sounds"
SETTLE_CONFIDENCE = 80.0
BOXLESS_SIZE = 0.25
# Labels so generic they make a dull bet.
TOO_GENERIC = frozenset({"person", "human", "people", "indoors", "outdoors", "silence"})


@dataclass(frozen=True)
class Suggestion:
    question: str
    label: str
    criteria: dict[str, Any]  # the YES outcome's criteria
    confidence: float  # highest confidence the label was seen with
    # Estimated chance the label is seen confidently at a sampled moment of a similar clip
    # (its share of this clip's moments, smoothed so it is never 0 or 1).
    probability: float
    timestamps_ms: tuple[int, ...]  # every sampled time the label was seen


def _article(name: str) -> str:
    return "an" if name[:1].lower() in "aeiou" else "a"


def _noun(name: str) -> str:
    """As in a sentence: "Bicycle" -> "bicycle"; acronyms ("TV") stay."""
    return name if name.isupper() else name.lower()


def question(name: str, categories: Sequence[str]) -> str:
    noun = _noun(name)
    if SOUND_CATEGORY in categories:
        return f"Will {noun} be heard?"
    return f"Will {_article(noun)} {noun} appear?"


def _size(items: Sequence[LabelSample]) -> float:
    areas = [max(i.box.width * i.box.height for i in s.instances) for s in items if s.instances]
    return statistics.median(areas) if areas else BOXLESS_SIZE


def suggest(
    timeline: Timeline,
    *,
    limit: int = 5,
    min_confidence: float = SETTLE_CONFIDENCE,
    settleable: Callable[[str], bool] | None = None,
) -> list[Suggestion]:
    by_label: dict[str, list[LabelSample]] = {}
    for s in timeline.samples:
        by_label.setdefault(s.name, []).append(s)
    moments = len({s.timestamp_ms for s in timeline.samples})
    clear = {
        name: [s for s in items if s.confidence >= min_confidence]
        for name, items in by_label.items()
        if name.casefold() not in TOO_GENERIC and (settleable is None or settleable(name))
    }
    prominence = {
        name: len({s.timestamp_ms for s in items}) * _size(items)
        for name, items in clear.items()
        if items
    }
    ranked = sorted(prominence, key=lambda n: (-prominence[n], n))[: max(0, limit)]
    return [
        Suggestion(
            question=question(name, timeline.info(name).categories),
            label=name,
            criteria={"label": name, "min_confidence": min_confidence},
            confidence=round(max(s.confidence for s in by_label[name]), 2),
            probability=round((len({s.timestamp_ms for s in clear[name]}) + 1) / (moments + 2), 4),
            timestamps_ms=tuple(s.timestamp_ms for s in by_label[name]),
        )
        for name in ranked
    ]


def betting_suggestion(suggestions: Sequence[Suggestion]) -> dict[str, Any]:
    """The original /api/analyze body's `betting_suggestion`: the first suggestion."""
    if not suggestions:
        return {"suggestion": None, "detected_activity": None, "confidence": 0.0, "timestamps": []}
    first = suggestions[0]
    return {
        "suggestion": first.question,
        "detected_activity": first.label,
        "confidence": first.confidence,
        "timestamps": [round(ms / 1000, 3) for ms in first.timestamps_ms],
    }
