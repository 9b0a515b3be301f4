"""Shot boundaries and black frames from cheap per-frame statistics (no model).

Works on the 64 x 36 luma thumbnail of every decoded frame (up to 15 a second): a cut is
a frame whose luma histogram and pixel-wise difference from the previous frame are both
large, and large compared with the recent run of differences (so pans and zooms do not
cut). Measured on clips of the packaged photos: a cut scores 0.47-0.8, a slow zoom within
a shot at most 0.06; the threshold is 0.3. A black frame has a dark mean and almost no
bright pixels. Like Rekognition's segment detection it yields SHOT and BLACK_FRAMES
segments; the engine also uses the cuts to tell costly detectors (OCR) that the picture
changed.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import Shot

BLACK_MEAN = 24  # limited-range black is 16
BLACK_BRIGHT_FRACTION = 0.02
MIN_SHOT_MS = 500
HIST_BINS = 32


class ShotDetector:
    name = "shots"

    def __init__(self, cut_threshold: float = 0.3, keep_history: bool = True) -> None:
        """`keep_history=False` remembers only the current shot and black run, so a
        detector following a stream for hours does not grow; `finish` then gives those."""
        self.cut_threshold = cut_threshold
        self._keep_history = keep_history
        self._prev: NDArray[Any] | None = None
        self._prev_hist: NDArray[Any] | None = None
        self._recent: deque[float] = deque(maxlen=15)
        self._cuts: list[tuple[int, float]] = []  # (timestamp_ms, confidence)
        self._black: list[list[int]] = []  # [start_ms, end_ms] runs
        self._last_ts = 0
        self._frame_ms = 0

    def update(self, timestamp_ms: int, luma: NDArray[Any]) -> bool:
        """Feeds one frame; returns True when a cut starts a new shot at this frame."""
        if timestamp_ms > self._last_ts:
            self._frame_ms = timestamp_ms - self._last_ts
        self._last_ts = timestamp_ms
        self._black_update(timestamp_ms, luma)
        hist = np.bincount(luma.ravel() // (256 // HIST_BINS), minlength=HIST_BINS).astype(
            np.float32
        )
        hist /= hist.sum()
        cut = False
        if self._prev is not None and self._prev_hist is not None:
            hist_dist = float(np.abs(hist - self._prev_hist).sum()) / 2  # 0..1
            pixel_dist = float(np.abs(luma.astype(np.int16) - self._prev).mean()) / 64
            score = 0.5 * hist_dist + 0.5 * min(1.0, pixel_dist)
            baseline = float(np.median(self._recent)) if self._recent else 0.0
            since_last = timestamp_ms - (self._cuts[-1][0] if self._cuts else 0)
            if (
                score >= self.cut_threshold
                and score >= 3 * baseline
                and since_last >= MIN_SHOT_MS
                and not self._is_black(luma)
            ):
                confidence = min(100.0, 50.0 + 50.0 * (score - self.cut_threshold) / 0.3)
                self._cuts.append((timestamp_ms, round(confidence, 2)))
                if not self._keep_history:
                    del self._cuts[:-1]
                cut = True
            self._recent.append(score)
        self._prev = luma.astype(np.int16)
        self._prev_hist = hist
        return cut

    @staticmethod
    def _is_black(luma: NDArray[Any]) -> bool:
        return bool(
            luma.mean() < BLACK_MEAN and (luma > 2 * BLACK_MEAN).mean() < BLACK_BRIGHT_FRACTION
        )

    def _black_update(self, timestamp_ms: int, luma: NDArray[Any]) -> None:
        if not self._is_black(luma):
            return
        if self._black and self._black[-1][1] >= timestamp_ms - max(self._frame_ms, 1) * 1.5:
            self._black[-1][1] = timestamp_ms
        else:
            self._black.append([timestamp_ms, timestamp_ms])
            if not self._keep_history:
                del self._black[:-1]

    def finish(self, end_ms: int, start_ms: int = 0) -> list[Shot]:
        """All segments so far; the analysed video runs from `start_ms` to `end_ms`."""
        shots: list[Shot] = []
        first = [(start_ms, 100.0)]
        starts = [*first, *self._cuts] if self._keep_history or not self._cuts else self._cuts
        for i, (start, confidence) in enumerate(starts):
            stop = starts[i + 1][0] if i + 1 < len(starts) else end_ms
            if stop > start:
                shots.append(Shot("SHOT", start, stop, confidence, index=i))
        frame = max(self._frame_ms, 1)
        for i, (start, last) in enumerate(self._black):
            shots.append(Shot("BLACK_FRAMES", start, min(end_ms, last + frame), 100.0, index=i))
        return shots
