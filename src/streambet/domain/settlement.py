"""Confidence-band settlement: decide a market from its outcomes' criteria and a timeline.

An outcome's criteria are "met" when they hold at or above the auto-settle confidence
(claims of absence also need the whole window analysed); "not met" when they do not hold,
nothing reached the review floor and the whole window was analysed. An outcome without
criteria is the "otherwise" outcome (NO by default) and wins when every other outcome is
confidently not met. Exactly one met outcome, the rest not met, resolves; anything else
goes to an admin's review instead of paying out on a guess.

Agreement mode (`second_opinion`): a resolved decision stands only when a second engine's
timeline evaluates the same criteria the same way; otherwise the market goes to review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streambet.domain.criteria import Criterion, Evaluation, LabelVocabulary, evaluate
from streambet.timeline import LabelInfo, LabelSample, Timeline, VideoMetadata


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Bands:
    auto_settle: float = 80.0
    review_floor: float = 50.0


@dataclass(frozen=True)
class OutcomeSpec:
    outcome_id: int
    title: str
    criteria: Criterion | None


@dataclass(frozen=True)
class Decision:
    resolved: bool  # False: goes to review
    outcome_id: int | None
    confidence: float
    reason: str
    verdicts: dict[int, tuple[Verdict, Evaluation]]
    model_version: str
    # Agreement mode: the second engine's evaluation of each outcome's criteria.
    second: dict[int, Evaluation] | None = None
    second_model_version: str | None = None

    def evidence_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model_version": self.model_version,
            "reason": self.reason,
            "outcomes": [
                {
                    "outcome_id": oid,
                    "verdict": verdict.value,
                    "holds": ev.holds,
                    "confidence": ev.confidence,
                    "window_fully_analysed": ev.complete,
                    "detections": [e.to_dict() for e in ev.evidence],
                }
                for oid, (verdict, ev) in self.verdicts.items()
            ],
        }
        if self.second is not None:
            out["second_opinion"] = {
                "model_version": self.second_model_version,
                "outcomes": [
                    {"outcome_id": oid, "holds": ev.holds, "confidence": ev.confidence}
                    for oid, ev in self.second.items()
                ],
            }
        return out

    @property
    def detected_at_ms(self) -> list[int]:
        if self.outcome_id is None or self.outcome_id not in self.verdicts:
            return []
        return sorted({e.timestamp_ms for e in self.verdicts[self.outcome_id][1].evidence})


def verdict(ev: Evaluation, bands: Bands) -> Verdict:
    if ev.holds and ev.confidence >= bands.auto_settle and (ev.complete or not ev.absence):
        return Verdict.MET
    if not ev.holds and ev.confidence < bands.review_floor and ev.complete:
        return Verdict.NOT_MET
    return Verdict.UNSURE


def decide(outcomes: Sequence[OutcomeSpec], timeline: Timeline, bands: Bands) -> Decision:
    verdicts = {
        o.outcome_id: (verdict(ev, bands), ev)
        for o in outcomes
        if o.criteria is not None
        for ev in (evaluate(o.criteria, timeline),)
    }
    otherwise = [o for o in outcomes if o.criteria is None]
    met = [oid for oid, (v, _) in verdicts.items() if v is Verdict.MET]
    unsure = [oid for oid, (v, _) in verdicts.items() if v is Verdict.UNSURE]
    version = timeline.model_version

    def review(reason: str, confidence: float) -> Decision:
        return Decision(False, None, confidence, reason, verdicts, version)

    if not verdicts:
        return review("no outcome has machine-checkable criteria", 0.0)
    best = max(ev.confidence for _, ev in verdicts.values())
    if len(met) > 1:
        return review("more than one outcome's criteria were met", best)
    if unsure:
        return review(
            "the evidence is between the review floor and the auto-settle confidence,"
            " or the window was only partly analysed",
            best,
        )
    if len(met) == 1:
        winner = met[0]
        return Decision(
            True, winner, verdicts[winner][1].confidence, "criteria met", verdicts, version
        )
    if len(otherwise) == 1:
        return Decision(
            True,
            otherwise[0].outcome_id,
            round(100.0 - best, 2),
            "no criteria met over the whole analysed window",
            verdicts,
            version,
        )
    return review("no outcome's criteria were met and there is no 'otherwise' outcome", best)


ENGINES_DISAGREE = "engines disagree"


def second_opinion(
    decision: Decision, outcomes: Sequence[OutcomeSpec], second: Timeline
) -> Decision:
    """A resolved decision checked against a second engine: every outcome the first found
    met must also hold on the second timeline, and every one it found not met must not;
    any difference sends the market to review. A decision already in review is kept."""
    evaluations = {
        o.outcome_id: evaluate(o.criteria, second) for o in outcomes if o.criteria is not None
    }
    agree = all(
        evaluations[oid].holds == (v is Verdict.MET) for oid, (v, _) in decision.verdicts.items()
    )
    resolved = decision.resolved and agree
    return Decision(
        resolved,
        decision.outcome_id if resolved else None,
        decision.confidence,
        decision.reason if agree or not decision.resolved else ENGINES_DISAGREE,
        decision.verdicts,
        decision.model_version,
        evaluations,
        second.model_version,
    )


@dataclass(frozen=True)
class ReportedLabel:
    """A label as the original client reports it (what its /api/analyze gave it)."""

    label: str
    confidence: float
    timestamps_s: Sequence[float] = ()


def reported_timeline(
    labels: Sequence[ReportedLabel], duration_ms: int, vocabulary: LabelVocabulary
) -> Timeline:
    """The evidence the original `POST /api/resolve` sends, as a timeline: each label at
    each of its times (or at 0), covering the first `duration_ms` of the video (0: none,
    so absence is never concluded). Known labels bring their parents, so criteria on a
    parent ("Animal") are met by a reported child ("Cat")."""
    samples = []
    infos: dict[str, LabelInfo] = {}
    for item in labels:
        info = vocabulary.resolve(item.label) or LabelInfo(item.label)
        infos[item.label] = LabelInfo(item.label, (info.name, *info.parents), info.aliases)
        for seconds in item.timestamps_s or [0.0]:
            t = max(0, round(seconds * 1000))
            samples.append(LabelSample(t, item.label, item.confidence, item.confidence))
    return Timeline(
        video=VideoMetadata("unknown", duration_ms, "unknown", 0.0, 0, 0),
        model_version="client-supplied-labels",
        sample_interval_ms=1000,
        analysed_from_ms=0,
        analysed_until_ms=duration_ms,
        samples=sorted(samples, key=lambda s: s.timestamp_ms),
        labels=infos,
        engine="client",
    )
