"""Detectors, registered explicitly and loaded lazily (a detector is constructed and its
model loaded only when an analysis asks for it)."""

from __future__ import annotations

from collections.abc import Callable

from streambet.vision.pipeline.detectors.base import Detector

# name -> factory; module imports inside the factories keep unused models out of memory.


def _classifier() -> Detector:
    from streambet.vision.pipeline.detectors.classifier import ClassifierDetector

    return ClassifierDetector()


def _faces() -> Detector:
    from streambet.vision.pipeline.detectors.faces import FaceDetector

    return FaceDetector()


def _hands() -> Detector:
    from streambet.vision.pipeline.detectors.hands import HandDetector

    return HandDetector()


def _objects() -> Detector:
    from streambet.vision.pipeline.detectors.objects import ObjectDetector

    return ObjectDetector()


def _text() -> Detector:
    from streambet.vision.pipeline.detectors.text import TextDetector

    return TextDetector()


FRAME_DETECTORS: dict[str, Callable[[], Detector]] = {
    "classifier": _classifier,
    "faces": _faces,
    "hands": _hands,
    "objects": _objects,
    "text": _text,
}
# "objects" runs where the picture changed (at least every 4 s), "hands" where a part of it
# changed (at least every 4 s) and "text" where text may have appeared: what leaves the
# CPU room for the 10x real-time target; see bench/analysis.py.
DEFAULT_DETECTORS = ("classifier", "faces", "hands", "objects", "text")


def create(name: str) -> Detector:
    try:
        return FRAME_DETECTORS[name]()
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; known: {sorted(FRAME_DETECTORS)}") from None
