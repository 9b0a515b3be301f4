"""Calibrated confidence: a detector's raw score becomes a confidence that means something.

A market auto-settles at 80, so 80 must mean "right at least 95% of the time", whatever
detector said it. Raw scores do not: the classifier's regional view scored a street's
"Ski" at 90 and the object detector finds real pedestrians at 45-70. Each source (the
classifier's whole frame, its regions, objects, faces, OCR) and label family (the label's
taxonomy root, with the classifier's fine-grained ImageNet classes apart from the
hierarchy nodes they roll up to) has a monotone piecewise-linear curve, raw -> calibrated,
stored as data (data/calibration.json) and fitted on the labelled evaluation set by
scripts/fit_calibration.py: the raw score above which the set's claims were 95% right maps
to 80, the one above which they were 60% right to 50. A family with too few claims uses
its source's pooled curve.

Two rules hold whatever the fit says:
- A generic parent ("Household Item") summed from the classifier's many weak class
  probabilities is not evidence of anything: from the classifier it stays below 50.
- A fine-grained ImageNet class from the classifier alone stays below 80 until it is
  corroborated: by the object detector naming it, its parent or its child in the same
  sample, or by persisting (the aggregator lifts the cap after `PERSIST_SAMPLES`
  consecutive samples; see aggregate.py).

The classifier's views are not object boxes: its detections leave here without boxes,
named "classifier" (whole frame) or "classifier:regions" (its best view was a region).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from streambet.vision.pipeline.detectors.base import FULL_FRAME, Detection
from streambet.vision.pipeline.taxonomy import Taxonomy, get_taxonomy

CLASSIFIER = "classifier"
FRAME, REGIONS = "classifier:frame", "classifier:regions"
OBJECTS = "objects"
# Generic parents from the classifier stay below this (the other rule's cap: aggregate.py).
GENERIC_CAP = 49.0
ANY_FAMILY = "*"
CLASS_SUFFIX = ":class"
Found = list[tuple[str, Detection]]


@dataclass(frozen=True)
class Curve:
    """Monotone piecewise-linear map of 0-100 onto 0-100."""

    raw: tuple[float, ...]
    calibrated: tuple[float, ...]

    def __call__(self, score: float) -> float:
        return round(float(np.interp(score, self.raw, self.calibrated)), 2)

    @classmethod
    def from_points(cls, points: list[list[float]]) -> Curve:
        raw, cal = zip(*points, strict=True)
        if list(raw) != sorted(raw) or list(cal) != sorted(cal):
            raise ValueError(f"calibration curve is not monotone: {points}")
        return cls(tuple(float(x) for x in raw), tuple(float(y) for y in cal))


IDENTITY = Curve((0.0, 100.0), (0.0, 100.0))


def source_key(source: str, det: Detection) -> str:
    """The calibration source of a raw detection: the classifier splits by its view."""
    if source != CLASSIFIER:
        return source
    whole = not det.boxes or det.boxes[0][0] == FULL_FRAME
    return FRAME if whole else REGIONS


def family(label: str, source: str, taxonomy: Taxonomy, classes: frozenset[str]) -> str:
    """The label's taxonomy root; the classifier's ImageNet classes get a family of their
    own under it (a fine-grained class is less often right than the node it rolls up to)."""
    info = taxonomy.resolve(label)
    root = info.parents[-1] if info is not None and info.parents else label
    fine = source in (FRAME, REGIONS) and label in classes
    return root + CLASS_SUFFIX if fine else root


class Calibration:
    def __init__(self, doc: dict[str, Any], taxonomy: Taxonomy | None = None) -> None:
        self._tax = taxonomy or get_taxonomy()
        self._classes = frozenset(self._tax.class_names())
        self.rules = bool(doc.get("rules", True))
        self.generic = frozenset(doc.get("generic", ()))
        self.settleable = frozenset(doc.get("settleable", ()))
        self._curves: dict[str, dict[str, Curve]] = {
            source: {fam: Curve.from_points(pts) for fam, pts in fams.items()}
            for source, fams in doc.get("curves", {}).items()
        }

    @classmethod
    def identity(cls) -> Calibration:
        """Raw scores, no rules: what scripts/fit_calibration.py fits on."""
        return cls({"rules": False})

    def curve(self, source: str, fam: str) -> Curve:
        curves = self._curves.get(source)
        if curves is None:
            return IDENTITY
        pooled = ANY_FAMILY + CLASS_SUFFIX if fam.endswith(CLASS_SUFFIX) else ANY_FAMILY
        return curves.get(fam) or curves.get(pooled) or curves.get(ANY_FAMILY) or IDENTITY

    def apply(self, found: Found) -> Found:
        """One sample's raw detections -> calibrated ones, in the same order."""
        objects = [d.label for s, d in found if s == OBJECTS]
        out: Found = []
        for source, det in found:
            key = source_key(source, det)
            fam = family(det.label, key, self._tax, self._classes)
            curve = self.curve(key, fam)
            confidence = curve(det.confidence)
            boxes = tuple((box, curve(score)) for box, score in det.boxes)
            corroborate = False
            if key in (FRAME, REGIONS):
                boxes = ()  # a view of the classifier is not where the thing is
                if self.rules and det.label in self.generic:
                    confidence = min(confidence, GENERIC_CAP)
                elif self.rules and fam.endswith(CLASS_SUFFIX):
                    corroborate = not any(self._related(det.label, o) for o in objects)
            named = REGIONS if key == REGIONS else source
            out.append(
                (named, replace(det, confidence=confidence, boxes=boxes, corroborate=corroborate))
            )
        return out

    def _related(self, a: str, b: str) -> bool:
        return self._tax.is_a(a, b) or self._tax.is_a(b, a)


@lru_cache(maxsize=1)
def get_calibration() -> Calibration:
    text = (
        resources.files("streambet.vision.pipeline")
        .joinpath("data/calibration.json")
        .read_text("utf-8")
    )
    return Calibration(json.loads(text))
