"""Hands with MediaPipe Hands (palm detector + hand landmarks, the lite model), which the
pinned mediapipe 0.10.21 wheel ships.

A hand needs no face or body in view: a hand holding a controller over a table, a hand
reaching into a webcam's picture. The box is the landmarks' extent, padded by a tenth on
each side (the landmarks are joints; the skin lies beyond them). The score is the
landmark model's handedness confidence, which is what it reports for "this is a hand"
(0.5-0.9 on the evaluation set's hands). The palm detector costs 15-50 ms a frame on a
shared core, so it runs on cuts, where a part of the picture changed since its last run
(`PART_CHANGE`, at most every `min_interval_ms`: a hand coming into a webcam's view), and
every `recheck_ms`; samples in between repeat its last result (a hand in view stays in view
for seconds, and one leaving changes the picture). Once a second whatever the picture did,
it ran 58 times a minute on bench/analysis.py's slowly zooming photos.
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
    picture_change,
)

MIN_HAND_SCORE = 0.5
# a block of the luma thumbnail this much changed (0-1) since the last run: run again.
# A slow zoom changes the largest block by about 0.05 a second; a hand coming in, by 0.2+.
PART_CHANGE = 0.1
MAX_HANDS = 4
PAD = 0.1


class HandDetector:
    name = "hands"

    def __init__(self, min_interval_ms: int = 1000, recheck_ms: int = 4000) -> None:
        self.min_interval_ms = min_interval_ms
        self.recheck_ms = recheck_ms
        self._hands: Any = None
        self._last_ms: int | None = None
        self._last_luma: NDArray[Any] | None = None
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
        since = ctx.timestamp_ms - self._last_ms
        if since >= self.recheck_ms:
            return True
        if since < self.min_interval_ms:
            return False
        # a caller without thumbnails gets a run every min_interval_ms
        return ctx.luma is None or picture_change(ctx.luma, self._last_luma).part >= PART_CHANGE

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
        self._last_ms, self._last, self._last_luma = ctx.timestamp_ms, result, ctx.luma
        return result
