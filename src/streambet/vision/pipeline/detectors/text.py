"""On-screen text (scoreboards, captions) with RapidOCR (PP-OCRv6 small, ONNX).

OCR costs about 0.13-0.3 s a frame here, 7-20 times the classifier, so it runs only where
text may have appeared: on a cut, on a sample whose picture differs from the one last read
by `min_change` (a title building up, a sign coming into view; a fixed camera over a path
is never re-read) at most every `min_gap_ms`, and after `recheck_ms` without a read. On the
evaluation set a fixed 15 s cadence read a title card only when its timer happened to fall
on the card's two seconds. The engine runs it on a worker thread of its own so it overlaps
decoding and classification. Pictures smaller than `max_side` are enlarged to it first:
captions of a 176 x 144 clip are a few pixels high, below what the detector finds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from streambet.vision.pipeline.detectors.base import (
    Detection,
    FrameResult,
    SampleContext,
    TextHit,
    box_from_pixels,
)

# Textures read as text at 0.5-0.65 (research note); real captions score above 0.8.
MIN_TEXT_SCORE = 0.8
# A "word" filling most of the frame is a texture, not text.
MAX_BOX_AREA = 0.4


class TextDetector:
    name = "text"

    def __init__(
        self,
        recheck_ms: int = 15_000,
        max_side: int = 640,
        min_gap_ms: int = 2_000,
        min_change: float = 0.05,
    ) -> None:
        self.recheck_ms = recheck_ms
        self.min_gap_ms = min_gap_ms
        self.min_change = min_change
        self._max_side = max_side
        self._engine: Any = None

    def load(self, model_dir: Path) -> None:
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Det.limit_type": "max",
                "Det.limit_side_len": self._max_side,
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def wants(self, ctx: SampleContext) -> bool:
        changed = (
            ctx.ms_since_text_check >= self.min_gap_ms
            and ctx.change_since_text_check >= self.min_change
        )
        return ctx.scene_changed or changed or ctx.ms_since_text_check >= self.recheck_ms

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        assert self._engine is not None, "load() first"
        h, w = rgb.shape[:2]
        if max(h, w) < self._max_side:  # boxes are ratios: the enlargement cancels out
            scale = self._max_side / max(h, w)
            size = (round(w * scale), round(h * scale))
            rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC))
        out = self._engine(rgb)
        result = FrameResult()
        if out.boxes is None:
            return result
        h, w = rgb.shape[:2]
        for quad, text, score in zip(out.boxes, out.txts, out.scores, strict=False):
            text = str(text).strip()
            xs, ys = np.asarray(quad)[:, 0], np.asarray(quad)[:, 1]
            box = box_from_pixels(
                float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), w, h
            )
            if (
                float(score) < MIN_TEXT_SCORE
                or len(text) < 2
                or box.width * box.height > MAX_BOX_AREA
            ):
                continue
            result.texts.append(TextHit(text, round(float(score) * 100, 2), box))
        if result.texts:
            top = max(t.confidence for t in result.texts)
            result.detections.append(
                Detection("Text", top, tuple((t.box, t.confidence) for t in result.texts))
            )
        return result
