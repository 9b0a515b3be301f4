"""Temporal aggregation in Frigate's manner, per label.

A label counts only after `min_hits` consecutive samples see it (a gap of up to
`max_misses` samples does not break a run, it scores 0 there); its confidence is the
median of the last `window` scores of the run (smoothing single-frame spikes and dips), and
the run's top raw score is kept beside it. When a run is confirmed, the samples before the
confirmation are emitted too, so a label's first timestamp is when it was first seen, not
when it was confirmed.

A detection marked `corroborate` (a fine-grained class the classifier alone sees) is
capped below the auto-settle bar until its run has lasted `persist_samples` samples (then
its recent samples count at their own scores): a bow tie seen for two seconds is evidence,
a single-sample "Fireworks" on a biscuit box is not.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from streambet.timeline import Instance, LabelSample
from streambet.vision.pipeline.detectors.base import Detection


@dataclass
class _Run:
    scores: deque[float]  # as reported: capped while uncorroborated
    uncapped: deque[float]  # the same samples' own scores
    top: float = 0.0
    hits: int = 0
    misses: int = 0
    confirmed: bool = False
    pending: list[tuple[int, float, float, tuple[Instance, ...], str]] = field(default_factory=list)


# The classifier's two views are one model: they do not corroborate each other.
_MODEL = {"classifier:regions": "classifier"}
# A model's vote counts towards agreement from this calibrated confidence up.
AGREE_FLOOR = 30.0


def _agreement(scores: dict[str, float]) -> float:
    """Calibrated confidences of independent models naming one label, combined: the label
    is wrong only if every model is (a chelsea cat at 78 from the classifier and 43 from
    the object detector is 87); a single model's score is its own."""
    votes = [c for c in scores.values() if c >= AGREE_FLOOR]
    if len(votes) < 2:
        return max(scores.values())
    wrong = 1.0
    for c in votes:
        wrong *= 1.0 - min(c, 100.0) / 100.0
    return round(max(max(scores.values()), 100.0 * (1.0 - wrong)), 2)


def merge_detections(found: list[tuple[str, Detection]]) -> dict[str, tuple[Detection, str]]:
    """One entry per label for one sample, named by the source with the highest
    confidence; instances from every source are kept. Where independent models name the
    label, their confidences combine (`_agreement`), and it counts as corroborated."""
    merged: dict[str, tuple[Detection, str]] = {}
    by_model: dict[str, dict[str, float]] = {}
    for source, det in found:
        model = _MODEL.get(source, source)
        votes = by_model.setdefault(det.label, {})
        votes[model] = max(votes.get(model, 0.0), det.confidence)
        if det.label not in merged:
            merged[det.label] = (det, source)
            continue
        prev, prev_source = merged[det.label]
        best_source = source if det.confidence > prev.confidence else prev_source
        instances = prev.instances()
        instances += [i for i in det.instances() if i[:2] not in prev.boxes]
        boxes = tuple((box, score) for box, score, _ in instances)
        tracks = tuple(t or 0 for _, _, t in instances)
        corroborate = det.corroborate and prev.corroborate and len(votes) == 1
        merged[det.label] = (
            Detection(
                det.label,
                max(det.confidence, prev.confidence),
                boxes,
                corroborate,
                tracks if any(tracks) else (),
            ),
            best_source,
        )
    return {
        label: (replace(det, confidence=_agreement(by_model[label])), source)
        for label, (det, source) in merged.items()
    }


def _instances(det: Detection) -> tuple[Instance, ...]:
    return tuple(Instance(box, conf, track) for box, conf, track in det.instances())


# Below the auto-settle bar (80): where an uncorroborated detection stays.
UNCORROBORATED_CAP = 79.0


class TemporalAggregator:
    def __init__(
        self, min_hits: int = 2, window: int = 5, max_misses: int = 1, persist_samples: int = 4
    ) -> None:
        self.min_hits = max(1, min_hits)
        self.persist_samples = persist_samples
        self.window = max(1, window)
        self.max_misses = max(0, max_misses)
        self._runs: dict[str, _Run] = {}

    def update(
        self,
        timestamp_ms: int,
        detections: dict[str, tuple[Detection, str]],
        scene_changed: bool = False,
    ) -> list[LabelSample]:
        """Feeds one sample's merged detections; returns the samples now known to count
        (possibly including earlier ones of a run confirmed just now). After a cut every
        run starts afresh: scores from the previous shot must not smooth the new one."""
        out: list[LabelSample] = []
        if scene_changed:
            self._runs.clear()
        for name in list(self._runs):
            if name not in detections:
                run = self._runs[name]
                run.misses += 1
                if run.misses > self.max_misses:
                    del self._runs[name]
                else:
                    run.scores.append(0.0)
                    run.uncapped.append(0.0)
        for name, (det, source) in detections.items():
            if name not in self._runs:
                self._runs[name] = _Run(deque(maxlen=self.window), deque(maxlen=self.window))
            run = self._runs[name]
            run.hits += 1
            run.misses = 0
            run.uncapped.append(det.confidence)
            held = det.corroborate and run.hits < self.persist_samples
            score = min(det.confidence, UNCORROBORATED_CAP) if held else det.confidence
            run.scores.append(score)
            run.top = max(run.top, score)
            # once it has persisted, its earlier samples count at their own scores too
            smoothed = round(float(np.median(run.scores if held else run.uncapped)), 2)
            entry = (timestamp_ms, smoothed, run.top, _instances(det), source)
            if run.confirmed:
                out.append(LabelSample(timestamp_ms, name, smoothed, run.top, entry[3], source))
                continue
            run.pending.append(entry)
            if run.hits >= self.min_hits:
                run.confirmed = True
                out.extend(
                    LabelSample(t, name, c, top, inst, src) for t, c, top, inst, src in run.pending
                )
                run.pending.clear()
        out.sort(key=lambda s: (s.timestamp_ms, s.name))
        return out

    def pending_from(self) -> int | None:
        """The earliest sample still waiting for its run to be confirmed (it may yet be
        emitted, with its own time), or None: samples before it are final."""
        return min((run.pending[0][0] for run in self._runs.values() if run.pending), default=None)

    def flush_short_video(self, samples_seen: int) -> list[LabelSample]:
        """At the end of a video too short to ever give `min_hits` samples, the runs still
        pending are all the evidence there is: they count. Longer videos flush nothing."""
        if samples_seen >= self.min_hits:
            return []
        out = [
            LabelSample(t, name, c, top, inst, src)
            for name, run in self._runs.items()
            for t, c, top, inst, src in run.pending
        ]
        self._runs.clear()
        return sorted(out, key=lambda s: (s.timestamp_ms, s.name))
