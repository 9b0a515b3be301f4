"""Object tracks: the object detector's boxes joined over samples with norfair (BSD-3,
numpy/scipy only, no model), so one thing seen in many samples is one object.

Why tracks and not per-sample boxes:
- presence is continuous: a confirmed object the detector misses for a sample or two
  (motion blur, a pose the model scores low) keeps its place at the box the tracker's
  Kalman filter predicts, for at most `COAST_SAMPLES` while the scene stays steady, for
  one across a big change that is no cut (a fast pan blurs what it passes; the object
  detector ran every 4 s before tracks, and its result stood until the next run);
- a weak detection (score from `CONTINUE_FLOOR` up, below its class's floor) continues a
  track that a strong one started, but never starts one (ByteTrack's idea);
- a track's score is the mean of its best `TRACK_BEST` scores: an object recognised
  clearly once stays recognised while the tracker follows it;
- counts are counts of distinct objects: every box carries its track's id.
Tracks end at cuts: the next shot's objects are new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.boxes import iou

# Boxes of one object half a second apart overlap at IoU >= 1 - this (after the Kalman
# prediction): walking people at 2 samples a second stay one track, crossing ones rarely
# swap.
MAX_DISTANCE = 0.8
COAST_SAMPLES = 2
CONTINUE_FLOOR = 20.0
TRACK_BEST = 3


@dataclass(frozen=True)
class Seen:
    """One detector hit handed to the tracker: display label, raw score 0-100, box, and
    whether the score passed its class's floor (may start a track)."""

    label: str
    score: float
    box: BoundingBox
    strong: bool = True


@dataclass(frozen=True)
class Tracked:
    """One object at one sample: its track, box (the detection's, or the prediction while
    coasting), and score (the track's)."""

    track: int
    label: str
    score: float
    box: BoundingBox
    detected: bool  # a detection matched it in this sample (else the box is predicted)


@dataclass
class _Track:
    best: list[float] = field(default_factory=list)
    strong: bool = False
    missed: int = 0

    def score(self) -> float:
        return round(float(np.mean(self.best)), 2) if self.best else 0.0

    def add(self, score: float) -> None:
        self.best = sorted([*self.best, score], reverse=True)[:TRACK_BEST]


def _points(box: BoundingBox) -> Any:
    return np.array([[box.left, box.top], [box.left + box.width, box.top + box.height]])


def _box(points: Any) -> BoundingBox | None:
    (x0, y0), (x1, y1) = np.clip(np.asarray(points, float), 0.0, 1.0)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    return BoundingBox(round(x0, 4), round(y0, 4), round(x1 - x0, 4), round(y1 - y0, 4))


class ObjectTracker:
    """Per analysis: feed each detector run's hits with `update`; `reset` at cuts."""

    def __init__(self) -> None:
        self._tracker: Any = None
        self._tracks: dict[int, _Track] = {}
        self._next_id = 1
        self._ids: dict[int, int] = {}  # norfair's object id -> ours (unique across cuts)
        self._shown: dict[int, tuple[str, BoundingBox]] = {}  # last label and box shown

    def reset(self) -> None:
        self._tracker = None
        self._tracks.clear()
        self._ids.clear()
        self._shown.clear()

    def _norfair(self) -> Any:
        if self._tracker is None:
            from norfair.tracker import Tracker

            self._tracker = Tracker(
                distance_function="iou",
                distance_threshold=MAX_DISTANCE,
                hit_counter_max=COAST_SAMPLES + 1,
                initialization_delay=0,
                past_detections_length=0,
            )
        return self._tracker

    def update(self, seen: list[Seen], steady: bool = True) -> list[Tracked]:
        """One detector run's hits -> the objects in view. `steady`: the picture changed
        little since the previous run (a missed object is predicted for longer)."""
        from norfair.tracker import Detection

        seen = self._continuing(seen)
        detections = [
            Detection(
                points=_points(s.box), scores=np.array([s.score, s.score]), label=s.label, data=s
            )
            for s in seen
        ]
        tracker = self._norfair()
        out: list[Tracked] = []
        for obj in tracker.update(detections=detections):
            track = self._track_of(obj.id)
            hit: Seen | None = None
            last = obj.last_detection
            if last is not None and any(last is d for d in detections):
                hit = last.data
            if hit is not None:
                track.add(hit.score)
                track.strong |= hit.strong
                track.missed = 0
            else:
                track.missed += 1
            coasting_allowed = track.missed <= (COAST_SAMPLES if steady else 1)
            if not track.strong or (hit is None and not coasting_allowed):
                continue
            box = hit.box if hit is not None else _box(obj.estimate)
            if box is None:
                continue
            score = max(track.score(), hit.score if hit is not None else 0.0)
            if obj.id not in self._ids:
                self._ids[obj.id] = self._next_id
                self._next_id += 1
            self._shown[obj.id] = (str(obj.label), box)
            out.append(Tracked(self._ids[obj.id], str(obj.label), score, box, hit is not None))
        alive = {obj.id for obj in tracker.tracked_objects}
        shown = {t.track for t in out}
        for gone in [i for i in self._tracks if i not in alive]:
            del self._tracks[gone]
            self._ids.pop(gone, None)
        self._shown = {i: v for i, v in self._shown.items() if self._ids.get(i) in shown}
        return out

    def _continuing(self, seen: list[Seen]) -> list[Seen]:
        """Strong hits, and the weak ones that continue an object shown last time and
        that no strong hit of the label already covers (a weak box must not start a
        track of its own beside the strong one, or take a strong one's place)."""
        strong = [s for s in seen if s.strong]
        reach = 1.0 - MAX_DISTANCE
        return strong + [
            s
            for s in seen
            if not s.strong
            and not any(t.label == s.label and iou(t.box, s.box) >= reach for t in strong)
            and any(
                lbl == s.label and iou(box, s.box) >= reach for lbl, box in self._shown.values()
            )
        ]

    def _track_of(self, norfair_id: int) -> _Track:
        return self._tracks.setdefault(norfair_id, _Track())
