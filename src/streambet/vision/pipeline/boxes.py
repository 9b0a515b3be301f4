"""Geometry of boxes (ratios of the frame): overlap, containment, "the same thing"."""

from __future__ import annotations

from streambet.timeline import BoundingBox

# two boxes show the same thing from this IoU up, or when one lies this much in the other
SAME_IOU = 0.5
SAME_INSIDE = 0.8


def _intersection(a: BoundingBox, b: BoundingBox) -> float:
    w = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return max(0.0, w) * max(0.0, h)


def iou(a: BoundingBox, b: BoundingBox) -> float:
    inter = _intersection(a, b)
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def inside(a: BoundingBox, b: BoundingBox) -> float:
    """Share of `a`'s area that lies within `b`."""
    area = a.width * a.height
    return _intersection(a, b) / area if area > 0 else 0.0


def same_thing(a: BoundingBox, b: BoundingBox) -> bool:
    return iou(a, b) >= SAME_IOU or max(inside(a, b), inside(b, a)) >= SAME_INSIDE
