"""The detector protocol: one sampled RGB frame in, labelled detections out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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


@dataclass(frozen=True)
class SampleContext:
    """What the engine knows about this sample beyond its pixels."""

    timestamp_ms: int
    scene_changed: bool  # first sample, or a cut / big change since the previous sample
    ms_since_text_check: int  # time since the text detector last ran (large if never)
    # how much the picture changed since the text detector last ran: mean absolute
    # difference of the luma thumbnails, 0-1 (1 if it never ran)
    change_since_text_check: float = 1.0
    # the picture as pipeline/change.py's grey thumbnail, for detectors that skip samples
    # where nothing changed (None: not known)
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
