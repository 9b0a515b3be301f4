"""The text lines one analysis has read, so OCR reads a line once for as long as it stays.

At each look the OCR worker hands over the lines the detector found. A line in the same
place (boxes overlapping by IoU `SAME_IOU`) with the same look (mean grey difference of
the thumbnails below `SAME_LOOK`) as an open one is that line, still shown: nothing to
read. Any other line is new (a title building up changes its look) and is read. Open
lines not found again are closed there: a reading's window runs from the look that read
it to the first look that no longer sees it (looks happen on every cut and wherever the
picture changed, so the text stayed until then), or to the end of the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streambet.timeline import BoundingBox, TextDetection
from streambet.vision.pipeline.detectors.text import TextLine, readable

SAME_IOU = 0.5
SAME_LOOK = 0.08


@dataclass
class _Open:
    line: TextLine
    start_ms: int
    text: str
    score: float  # 0-1; unreadable lines are remembered too, so they are not read again


def _iou(a: BoundingBox, b: BoundingBox) -> float:
    w = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)


class TextRegions:
    def __init__(self) -> None:
        self._open: list[_Open] = []

    def unread(self, lines: list[TextLine]) -> list[int]:
        """Indices of the lines that are not open lines seen again."""
        return [i for i, line in enumerate(lines) if self._same(line) is None]

    def update(
        self, timestamp_ms: int, lines: list[TextLine], readings: dict[int, tuple[str, float]]
    ) -> tuple[list[tuple[BoundingBox, str, float]], list[TextDetection]]:
        """Records a look at `timestamp_ms`: `readings` holds (text, score) of the lines
        `unread` chose. Returns the readable lines in view now, as (box, text, score),
        and the readings this look closed."""
        kept: list[_Open] = []
        for i, line in enumerate(lines):
            seen = self._same(line, kept) if i not in readings else None
            if seen is not None:
                seen.line = line  # follow a line that creeps (a slow zoom)
                kept.append(seen)
            elif i in readings:
                text, score = readings[i]
                kept.append(_Open(line, timestamp_ms, text, score))
        closed = [o for o in self._open if all(o is not k for k in kept)]
        self._open = kept
        in_view = [(o.line.box, o.text, o.score) for o in kept if readable(o.text, o.score)]
        return in_view, self._detections(closed, timestamp_ms)

    def close(self, end_ms: int) -> list[TextDetection]:
        """Closes every open line at `end_ms` (the analysis ends there)."""
        closed, self._open = self._open, []
        return self._detections(closed, end_ms)

    def _same(self, line: TextLine, taken: list[_Open] | None = None) -> _Open | None:
        for o in self._open:
            if taken is not None and any(o is t for t in taken):
                continue
            if (
                _iou(o.line.box, line.box) >= SAME_IOU
                and float(np.abs(o.line.signature - line.signature).mean()) < SAME_LOOK
            ):
                return o
        return None

    @staticmethod
    def _detections(closed: list[_Open], end_ms: int) -> list[TextDetection]:
        return [
            TextDetection(o.start_ms, o.text, round(o.score * 100, 2), o.line.box, end_ms)
            for o in closed
            if readable(o.text, o.score)
        ]
