"""Market suggestions from an analysis: the one place they are computed.

The API serves them with the analysis (`?format=timeline` -> `suggestions`), the web app
shows them, and the original /api/analyze body's `betting_suggestion` is the first of them
(`betting_suggestion()`), so an old client and the web app suggest the same market.

First comes the original's suggestion: the most confident "activity" label (categories
Sports or Person Description), or the most confident label when there is none. Then the
labels seen at or above the auto-settle confidence (a market on them can settle by
itself), the longest seen first, leaving out labels too generic to make a bet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from streambet.timeline import LabelSample, Timeline

ACTIVITY_CATEGORIES = ("Sports", "Person Description")
SETTLE_CONFIDENCE = 80.0
# Labels so generic they make a dull bet.
TOO_GENERIC = frozenset({"person", "human", "people", "indoors", "outdoors"})


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


def suggest(
    timeline: Timeline, *, limit: int = 5, min_confidence: float = SETTLE_CONFIDENCE
) -> list[Suggestion]:
    by_label: dict[str, list[LabelSample]] = {}
    for s in timeline.samples:
        by_label.setdefault(s.name, []).append(s)
    if not by_label:
        return []
    moments = len({s.timestamp_ms for s in timeline.samples})
    best = {name: round(max(s.confidence for s in items), 2) for name, items in by_label.items()}
    confident = {
        name: len({s.timestamp_ms for s in items if s.confidence >= min_confidence})
        for name, items in by_label.items()
    }

    def category(name: str) -> str:
        info = timeline.info(name)
        return info.categories[0] if info.categories else "Other"

    def suggestion(name: str, question: str) -> Suggestion:
        return Suggestion(
            question=question,
            label=name,
            criteria={"label": name, "min_confidence": min_confidence},
            confidence=best[name],
            probability=round((confident[name] + 1) / (moments + 2), 4),
            timestamps_ms=tuple(s.timestamp_ms for s in by_label[name]),
        )

    by_confidence = sorted(by_label, key=lambda n: (-best[n], n))
    activities = [n for n in by_confidence if category(n) in ACTIVITY_CATEGORIES]
    first = (activities or by_confidence)[0]
    out = [
        suggestion(
            first, f"Will '{first}' be detected with at least {min_confidence:g}% confidence?"
        )
    ]
    strong = sorted(
        (n for n in by_label if confident[n] and n != first and n.casefold() not in TOO_GENERIC),
        key=lambda n: (-confident[n], -best[n], n),
    )
    for name in strong[: max(0, limit - 1)]:
        out.append(suggestion(name, f"Will {_article(name)} {name} appear in the clip?"))
    return out


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
