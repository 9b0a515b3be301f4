"""Market suggestions from an analysis: "Will a Cat appear in the next clip?", with starting
odds from how often each label occurred (the original's `betting_suggestion`, grown up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streambet.timeline import Timeline

# Labels so generic they make a dull bet.
TOO_GENERIC = frozenset({"person", "human", "people", "indoors", "outdoors"})


@dataclass(frozen=True)
class Suggestion:
    question: str
    label: str
    criteria: dict[str, Any]
    probability: float  # estimated chance the label appears in a similar clip
    odds: dict[str, float]  # fair decimal odds before takeout
    confidence: float  # highest confidence the label was seen with
    timestamps_ms: tuple[int, ...]


def suggest(
    timeline: Timeline, *, limit: int = 5, min_confidence: float = 80.0
) -> list[Suggestion]:
    """Labels seen at or above `min_confidence`, most frequent first. The chance of seeing a
    label again is its share of sampled moments, smoothed (Laplace) so a label seen once
    or everywhere never gets certain odds."""
    moments = sorted({s.timestamp_ms for s in timeline.samples})
    if not moments:
        return []
    seen: dict[str, set[int]] = {}
    best: dict[str, float] = {}
    for s in timeline.samples:
        if s.confidence < min_confidence:
            continue
        seen.setdefault(s.name, set()).add(s.timestamp_ms)
        best[s.name] = max(best.get(s.name, 0.0), s.confidence)
    ranked = sorted(
        (name for name in seen if name.casefold() not in TOO_GENERIC),
        key=lambda n: (-len(seen[n]), -best[n], n),
    )
    out = []
    for name in ranked[:limit]:
        p = (len(seen[name]) + 1) / (len(moments) + 2)
        article = "an" if name[:1].lower() in "aeiou" else "a"
        out.append(
            Suggestion(
                question=f"Will {article} {name} appear in the next clip?",
                label=name,
                criteria={"label": name, "min_confidence": min_confidence},
                probability=round(p, 4),
                odds={"yes": round(1 / p, 2), "no": round(1 / (1 - p), 2)},
                confidence=round(best[name], 2),
                timestamps_ms=tuple(sorted(seen[name])),
            )
        )
    return out
