"""Shot boundaries and black frames from cheap per-frame statistics (no model).

Works on the 64 x 36 luma thumbnail of every decoded frame (up to 15 a second): a cut is
a frame whose luma histogram and pixel-wise difference from the previous frame are both
large, and large compared with the recent run of differences (so pans and zooms do not
cut). Measured on clips of the packaged photos: a cut scores 0.47-0.8, a slow zoom within
a shot at most 0.06; the threshold is 0.3. A cut between two similar shots (the same
studio from another camera, at 176 x 144) scores only 0.2-0.35, but it is a spike: one
frame's difference several times its neighbours' on both sides, where a pan or a flicker
raises a run of frames. Such a spike is a cut too, also over the threshold when busy
motion before it raised the baseline the first rule compares with (the band clip's cut
at 7.6 s: 0.34 after a shaky close-up's 0.12-0.16); it is known `SPIKE_AFTER` frames late
(the frames after it must be seen), and is dated at its own frame. A black frame has a
dark mean and almost no bright pixels. Like Rekognition's segment detection it yields SHOT
and BLACK_FRAMES segments; the engine also uses the cuts to tell costly detectors (OCR)
that the picture changed.
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
# The spike rule (bench/accuracy.py's band-session clip: its cuts score 0.19-0.34 against
# 0.02-0.15 around them): at least SPIKE_MIN, SPIKE_RATIO times the median of the
# SPIKE_BEFORE frames before it and SPIKE_AFTER after it, and 1.5 times either neighbour.
SPIKE_MIN = 0.15
SPIKE_RATIO = 2.5
SPIKE_NEIGHBOUR = 1.5
SPIKE_BEFORE, SPIKE_AFTER = 4, 2


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
        # (timestamp_ms, score, black) of the last frames, for the spike rule
        self._window: deque[tuple[int, float, bool]] = deque(maxlen=SPIKE_BEFORE + 1 + SPIKE_AFTER)
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
            black = self._is_black(luma)
            if (
                score >= self.cut_threshold
                and score >= 3 * baseline
                and self._since_last(timestamp_ms) >= MIN_SHOT_MS
                and not black
            ):
                self._cut(
                    timestamp_ms, min(100.0, 50.0 + 50.0 * (score - self.cut_threshold) / 0.3)
                )
                cut = True
            self._recent.append(score)
            self._window.append((timestamp_ms, score, black))
            cut = self._spike() or cut
        self._prev = luma.astype(np.int16)
        self._prev_hist = hist
        return cut

    def _since_last(self, timestamp_ms: int) -> int:
        return timestamp_ms - (self._cuts[-1][0] if self._cuts else 0)

    def _cut(self, timestamp_ms: int, confidence: float) -> None:
        self._cuts.append((timestamp_ms, round(confidence, 2)))
        if not self._keep_history:
            del self._cuts[:-1]

    def _spike(self) -> bool:
        """Whether the frame SPIKE_AFTER frames back is a spike (see the module doc)."""
        if len(self._window) < SPIKE_BEFORE + 1 + SPIKE_AFTER:
            return False
        frames = list(self._window)
        t, score, black = frames[SPIKE_BEFORE]
        others = [s for i, (_, s, _) in enumerate(frames) if i != SPIKE_BEFORE]
        neighbours = max(frames[SPIKE_BEFORE - 1][1], frames[SPIKE_BEFORE + 1][1])
        if (
            black
            or score < SPIKE_MIN
            or score < SPIKE_RATIO * float(np.median(others))
            or score < SPIKE_NEIGHBOUR * neighbours
            or self._since_last(t) < MIN_SHOT_MS
            or (self._cuts and self._cuts[-1][0] >= t)
        ):
            return False
        self._cut(t, min(100.0, 50.0 * score / self.cut_threshold))
        return True

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
