"""Activity labels (Hands Raised, Standing, Running, ...) in the engine: body pose on the
samples where people are seen, about once a second.

MediaPipe Pose costs 12-30 ms per person on an idle core (105-160 ms under load), too much
for every sample, so it runs at most every `interval_ms`, on the Person boxes the sample's
detectors found (the largest `max_people`), and not at all where nobody is seen. The pose
rules keep their own history per person, so their samples bypass the temporal aggregator;
a cut resets that history.

On by default (`Features.pose`): on the 60 s bench clip (15 s of a person)
bench/analysis.py measured it at 0.2-2.2 CPU-s a minute over three runs, and every
default detector together, pose included, stays above the 10x real-time target. Without
it a market on an activity ("Hands Raised") would find nothing in a window it had analysed
and settle NO.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from streambet.timeline import LabelSample
from streambet.vision.pipeline.detectors.base import Detection

if TYPE_CHECKING:  # MediaPipe loads when the first pose is needed
    from streambet.vision.pipeline.pose import PoseEstimator

POSE_INTERVAL_MS = 1000
MAX_PEOPLE = 3


class PoseModel:
    """One PoseEstimator per engine, created on first use (or warm-up); MediaPipe graphs
    are not safe to call from two threads, so calls hold `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._estimator: PoseEstimator | None = None

    def estimator(self) -> PoseEstimator:
        if self._estimator is None:
            from streambet.vision.pipeline.pose import PoseEstimator

            self._estimator = PoseEstimator()
        return self._estimator


class ActivitySampler:
    """Per analysis: decides when to run pose and turns people into activity samples."""

    def __init__(
        self, model: PoseModel, interval_ms: int = POSE_INTERVAL_MS, max_people: int = MAX_PEOPLE
    ) -> None:
        from streambet.vision.pipeline.pose import PeopleActivities

        self._model = model
        self._interval_ms = interval_ms
        self._max_people = max_people
        self._people = PeopleActivities()
        self._last_ms: int | None = None
        self.timing = [0.0, 0.0, 0]  # wall s, CPU s, calls (as the engine's detectors)

    def update(
        self,
        timestamp_ms: int,
        rgb: NDArray[Any],
        person: Detection | None,
        scene_changed: bool,
    ) -> list[LabelSample]:
        if scene_changed:
            self._people.reset()
        elif self._last_ms is not None and timestamp_ms - self._last_ms < self._interval_ms:
            return []
        self._last_ms = timestamp_ms
        boxes = sorted(
            (box for box, _ in person.boxes) if person else (),
            key=lambda b: -b.width * b.height,
        )[: self._max_people]
        if not boxes:
            return self._people.update(timestamp_ms, [])  # nobody: tracks end, no model run
        wall, cpu = time.perf_counter(), time.thread_time()
        with self._model.lock:
            poses = self._model.estimator().estimate_people(rgb, boxes)
        self.timing[0] += time.perf_counter() - wall
        self.timing[1] += time.thread_time() - cpu
        self.timing[2] += 1
        return self._people.update(timestamp_ms, poses)
