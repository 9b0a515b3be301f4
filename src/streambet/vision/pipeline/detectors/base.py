"""The detector protocol: one sampled RGB frame in, labelled detections out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import BoundingBox

FULL_FRAME = BoundingBox(0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class Detection:
    """One label in one frame. `confidence` is 0-100; `boxes` are the located instances
    (ratios of the frame) with their own confidences. `corroborate`: nothing else in the
    sample backs this label up, so it stays below the auto-settle bar until it persists
    (calibration.py sets it, aggregate.py applies it). `tracks`: the object track of
    each box, in the same order (pipeline/tracking.py; 0 for a box without one), or empty
    when no box is tracked."""

    label: str
    confidence: float
    boxes: tuple[tuple[BoundingBox, float], ...] = ()
    corroborate: bool = False
    tracks: tuple[int, ...] = ()

    def instances(self) -> list[tuple[BoundingBox, float, int | None]]:
        """(box, confidence, track or None) per box."""
        tracks = self.tracks or (0,) * len(self.boxes)
        return [
            (box, score, track or None)
            for (box, score), track in zip(self.boxes, tracks, strict=True)
        ]


@dataclass(frozen=True)
class TextHit:
    text: str
    confidence: float
    box: BoundingBox


@dataclass
class FrameResult:
    detections: list[Detection] = field(default_factory=list)
    texts: list[TextHit] = field(default_factory=list)


# The luma thumbnail (64 x 36) in blocks of this many pixels (rows, columns): a caption or
# a hand coming into view changes a few blocks, a camera moving changes all of them.
CHANGE_BLOCK = (9, 16)


@dataclass(frozen=True)
class PictureChange:
    """How much a picture differs from an earlier one, 0-1: the mean absolute difference of
    the luma thumbnails in the block that changed most (`part`) and in the median block
    (`whole`)."""

    part: float
    whole: float


NEW_PICTURE = PictureChange(1.0, 1.0)


def picture_change(luma: NDArray[Any], before: NDArray[Any] | None) -> PictureChange:
    if before is None:
        return NEW_PICTURE
    diff = np.abs(luma.astype(np.int16) - before.astype(np.int16))
    rows, cols = CHANGE_BLOCK
    h, w = diff.shape[0] // rows * rows, diff.shape[1] // cols * cols
    if h == 0 or w == 0:
        mean = float(diff.mean()) / 255
        return PictureChange(mean, mean)
    blocks = diff[:h, :w].reshape(h // rows, rows, w // cols, cols).mean(axis=(1, 3)) / 255
    return PictureChange(float(blocks.max()), float(np.median(blocks)))


@dataclass(frozen=True)
class SampleContext:
    """What the engine knows about this sample beyond its pixels."""

    timestamp_ms: int
    scene_changed: bool  # first sample, or a cut / big change since the previous sample
    # The text detector's schedule (the OCR worker fills these in; 0 and defaults elsewhere):
    ms_since_text_check: int  # time since it last looked (large if never)
    change_since_text_check: PictureChange = NEW_PICTURE  # the picture since then
    ms_since_cut: int = 0  # time since the last cut (or the first sample)
    text_in_view: bool = False  # its last look found text
    luma: NDArray[Any] | None = None  # this sample's luma thumbnail (pipeline/decode.py)
    # the picture as pipeline/change.py's area-averaged grey thumbnail, for detectors that
    # skip samples where nothing changed (None: not known)
    picture: NDArray[Any] | None = field(default=None, compare=False, repr=False)


class Detector(Protocol):
    name: str

    def load(self, model_dir: Path) -> None:
        """Heavy set-up (model files, sessions); called once, lazily, before first use."""

    def wants(self, ctx: SampleContext) -> bool:
        """Whether this sample is worth running on (lets costly detectors skip frames)."""

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult: ...


def box_from_pixels(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> BoundingBox:
    left, top = max(0.0, x0 / w), max(0.0, y0 / h)
    right, bottom = min(1.0, x1 / w), min(1.0, y1 / h)
    return BoundingBox(
        round(left, 4),
        round(top, 4),
        round(max(0.0, right - left), 4),
        round(max(0.0, bottom - top), 4),
    )
