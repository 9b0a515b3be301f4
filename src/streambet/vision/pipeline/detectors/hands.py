"""Hands with MediaPipe Hands (palm detector + hand landmarks, the lite model), which the
pinned mediapipe 0.10.21 wheel ships.

A hand needs no face or body in view: a hand holding a controller over a table, a hand
reaching into a webcam's picture. The box is the landmarks' extent, padded by a tenth on
each side (the landmarks are joints; the skin lies beyond them). The score is the
landmark model's handedness confidence, which is what it reports for "this is a hand"
(0.5-0.9 on the evaluation set's hands). The palm detector costs 15-50 ms a frame on a
shared core, so like the object detector it runs on cuts and then every `min_interval_ms`
(hands move, but a hand in view stays in view for seconds), and samples in between repeat
its last result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.detectors.base import (
    Detection,
    FrameResult,
    SampleContext,
    box_from_pixels,
)

MIN_HAND_SCORE = 0.5
MAX_HANDS = 4
PAD = 0.1


class HandDetector:
    name = "hands"

    def __init__(self, min_interval_ms: int = 1000) -> None:
        self.min_interval_ms = min_interval_ms
        self._hands: Any = None
        self._last_ms: int | None = None
        self._last = FrameResult()

    def load(self, model_dir: Path) -> None:
        import mediapipe as mp

        self._hands = mp.solutions.hands.Hands(
            static_image_mode=True,  # samples are half a second apart: nothing to track
            max_num_hands=MAX_HANDS,
            model_complexity=0,
            min_detection_confidence=MIN_HAND_SCORE,
        )

    def wants(self, ctx: SampleContext) -> bool:
        if ctx.scene_changed or self._last_ms is None:
            return True
        return ctx.timestamp_ms - self._last_ms >= self.min_interval_ms

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        assert self._hands is not None, "load() first"
        if not self.wants(ctx):
            return self._last
        found = self._hands.process(rgb)
        hands: list[tuple[BoundingBox, float]] = []
        for marks, handed in zip(
            found.multi_hand_landmarks or [], found.multi_handedness or [], strict=False
        ):
            score = float(handed.classification[0].score)
            if score < MIN_HAND_SCORE:
                continue
            xs = np.array([p.x for p in marks.landmark])
            ys = np.array([p.y for p in marks.landmark])
            pad_x, pad_y = PAD * (xs.max() - xs.min()), PAD * (ys.max() - ys.min())
            box = box_from_pixels(
                xs.min() - pad_x, ys.min() - pad_y, xs.max() + pad_x, ys.max() + pad_y, 1, 1
            )
            hands.append((box, round(score * 100, 2)))
        result = FrameResult()
        if hands:
            top = max(score for _, score in hands)
            result.detections.append(Detection("Hand", top, tuple(hands)))
        self._last_ms, self._last = ctx.timestamp_ms, result
        return result
