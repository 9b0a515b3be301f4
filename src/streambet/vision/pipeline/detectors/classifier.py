"""ImageNet-1k classification with EfficientNet-Lite0 on onnxruntime, whole frame + regions.

One forward pass per sample on the whole frame resized to short side 224 (long side a
multiple of 32, so a 16:9 frame becomes 384 x 224 and nothing is cropped away). The graph
also returns the last feature map (stride 32); pooling it over overlapping windows (2 rows
x 3 columns) and applying the classifier head in numpy gives per-region probabilities at
almost no extra cost, which finds smaller objects and gives them a coarse box. This replaced
separate tile crops: six more inferences a sample would have blown the time budget.

Roll-up (see taxonomy.py): in each view, a label's probability is the sum of its own and
its descendants' class probabilities (softmax classes exclude each other); a label's score
is the max over views, and its box is the view that gave it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from streambet.timeline import BoundingBox
from streambet.vision.model_cache.prepare import efficientnet_fc, ensure_efficientnet
from streambet.vision.pipeline.detectors.base import (
    FULL_FRAME,
    Detection,
    FrameResult,
    SampleContext,
    box_from_pixels,
)
from streambet.vision.pipeline.taxonomy import get_taxonomy

SHORT_SIDE = 224
MAX_LONG_SIDE = 448
# A label is reported for a frame from this probability up (the engine's MinConfidence
# and the temporal aggregation filter further).
REPORT_FLOOR = 0.10


def _softmax(z: NDArray[Any]) -> NDArray[Any]:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: NDArray[Any] = e / e.sum(axis=-1, keepdims=True)
    return out


def _windows(h: int, w: int) -> list[tuple[int, int, int, int]]:
    """(row0, row1, col0, col1) windows over an h x w feature map: 2 rows x 3 columns,
    each about 60% high and 45% wide, overlapping."""
    wh, ww = max(1, round(h * 0.6)), max(1, round(w * 0.45))
    rows = sorted({round(x) for x in np.linspace(0, h - wh, 2)})
    cols = sorted({round(x) for x in np.linspace(0, w - ww, 3)})
    return [(r, r + wh, c, c + ww) for r in rows for c in cols]


class ClassifierDetector:
    name = "classifier"

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._session: object | None = None

    def load(self, model_dir: Path) -> None:
        import onnxruntime as ort

        path = ensure_efficientnet(model_dir)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self._threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._fc_w, self._fc_b = efficientnet_fc()
        # The regional head below is numpy's one BLAS call in the engine. OpenBLAS would run
        # it on a thread per core and keep those threads spinning between calls, stealing
        # the core the other detectors run on: 9.7 -> 7.3 CPU-s per minute of video
        # (bench/analysis.py). The engine parallelises across detectors instead. This is
        # process-wide, which suits the worker processes the engine runs in.
        threadpool_limits(1, user_api="blas")
        tax = get_taxonomy()
        classes = tax.class_names()
        labels: list[str] = []
        for name in classes:
            for label in (name, *tax.info(name).parents):
                if label not in labels:
                    labels.append(label)
        # roll-up pairs: (label, class) wherever the class is the label or lies below it
        index = {label: i for i, label in enumerate(labels)}
        pairs = [
            (index[label], c)
            for c, name in enumerate(classes)
            for label in (name, *tax.info(name).parents)
        ]
        self._labels = labels
        self._pair_label = np.array([p[0] for p in pairs], np.intp)
        self._pair_class = np.array([p[1] for p in pairs], np.intp)

    def wants(self, ctx: SampleContext) -> bool:
        return True

    def _input(self, rgb: NDArray[Any]) -> tuple[NDArray[Any], int, int]:
        h, w = rgb.shape[:2]
        scale = SHORT_SIDE / min(h, w)
        long_side = min(MAX_LONG_SIDE, max(SHORT_SIDE, round(max(h, w) * scale / 32) * 32))
        size = (long_side, SHORT_SIDE) if w >= h else (SHORT_SIDE, long_side)
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        x = (small.astype(np.float32) - 127.0) / 128.0
        return x.transpose(2, 0, 1)[None], size[0], size[1]

    def class_probabilities(self, rgb: NDArray[Any]) -> tuple[NDArray[Any], list[BoundingBox]]:
        """Rows: whole frame, then each window; columns: the 1000 classes."""
        assert self._session is not None, "load() first"
        x, in_w, in_h = self._input(rgb)
        probs, features = self._session.run(None, {"image": x})  # type: ignore[attr-defined]
        fmap = features[0]
        _, fh, fw = fmap.shape
        pooled, boxes = [], [FULL_FRAME]
        for r0, r1, c0, c1 in _windows(fh, fw):
            pooled.append(fmap[:, r0:r1, c0:c1].mean(axis=(1, 2)))
            boxes.append(box_from_pixels(c0 * 32, r0 * 32, c1 * 32, r1 * 32, in_w, in_h))
        regional = _softmax(np.stack(pooled) @ self._fc_w.T + self._fc_b)
        return np.vstack([probs[:1], regional]), boxes

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        class_probs, boxes = self.class_probabilities(rgb)
        n = len(self._labels)
        label_probs = np.minimum(  # views x labels: sums of descendant class probabilities
            np.stack(
                [
                    np.bincount(self._pair_label, weights=view[self._pair_class], minlength=n)
                    for view in class_probs
                ]
            ),
            1.0,
        )
        best_view = label_probs.argmax(axis=0)
        best = label_probs.max(axis=0)
        result = FrameResult()
        for i in np.flatnonzero(best >= REPORT_FLOOR):
            view = int(best_view[i])
            score = round(float(best[i]) * 100, 2)
            result.detections.append(Detection(self._labels[i], score, ((boxes[view], score),)))
        return result
