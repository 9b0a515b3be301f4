"""Faces, and people found through their faces, with MediaPipe's BlazeFace (full range).

Chosen by measurement on the packaged photos (2-core CPU, medians): BlazeFace full range
finds the astronaut at 0.91 and Grace Hopper at 0.87, nothing on the cat, coffee or rocket,
in 5-10 ms a frame. MediaPipe Pose (the "full" model; "lite" downloads at run time) found
the same two people at 40 ms and nobody the face detector missed; OpenCV's HOG people
detector (whole standing bodies) found neither person, at 75-200 ms a frame; the selfie
segmenter marks cats as people. The price: a person whose face is not visible (back
turned, far away) is not found. The Person box is extrapolated from the face (3 face
widths by 7 face heights, clipped to the frame), so it is coarse; the Face box is exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.detectors.base import (
    Detection,
    FrameResult,
    SampleContext,
    box_from_pixels,
)

MIN_FACE_SCORE = 0.5


class FaceDetector:
    name = "faces"

    def __init__(self) -> None:
        self._detector: Any = None

    def load(self, model_dir: Path) -> None:
        import mediapipe as mp

        # model_selection=1: the full-range model, for faces further than 2 m
        self._detector = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=MIN_FACE_SCORE
        )

    def wants(self, ctx: SampleContext) -> bool:
        return True

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        assert self._detector is not None, "load() first"
        found = self._detector.process(rgb).detections or []
        faces: list[tuple[BoundingBox, float]] = []
        people: list[tuple[BoundingBox, float]] = []
        for det in found:
            score = round(float(det.score[0]) * 100, 2)
            rel = det.location_data.relative_bounding_box
            x, y, w, h = rel.xmin, rel.ymin, rel.width, rel.height
            faces.append((box_from_pixels(x, y, x + w, y + h, 1, 1), score))
            cx = x + w / 2
            people.append(
                (box_from_pixels(cx - 1.5 * w, y - 0.5 * h, cx + 1.5 * w, y + 6.5 * h, 1, 1), score)
            )
        result = FrameResult()
        if faces:
            top = max(score for _, score in faces)
            result.detections.append(Detection("Face", top, tuple(faces)))
            result.detections.append(Detection("Person", top, tuple(people)))
        return result
