"""On-screen text (scoreboards, captions, signs) with RapidOCR's PP-OCRv6 small models (ONNX).

Two steps, used apart: `find` runs the text detector (DBNet) on the analysis picture and
gives the text lines' quadrilaterals; `read` crops each line from the picture at its own
resolution (the decoded frame, not the 640 px analysis copy), straightened by a
perspective warp so tilted text reads level, and runs the recogniser on the crops. The
OCR worker (backends/local/ocr.py) reads only the lines that are new or whose look
changed (pipeline/text_regions.py); which samples it looks at at all is `wants`: a cut, the
picture settled after a cut (titles fade or build up after it), a part of the picture
changed since the last look (`new_text_may_show`), or `recheck_ms` without one.

RapidOCR's configuration normalises the detector's input as the older PP-OCR detectors
want ((x - 0.5) / 0.5, BGR); the PP-OCRv6 detector was trained on ImageNet's mean and
deviation, and with those it finds a taxi's red-on-white roof sign at 0.99 that it missed
entirely before (0.19). The detector sees the picture at `det_side` px on its long side
(384: 87 ms of CPU a look against 220 at 640, and it still finds every string of the
evaluation set; the recogniser reads the full-resolution crops). Smaller pictures are
enlarged to it: captions of a 176 x 144 clip are a few pixels high.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.detectors.base import (
    Detection,
    FrameResult,
    PictureChange,
    SampleContext,
    TextHit,
    box_from_pixels,
)

# Textures read as text at 0.5-0.65 (research note); real captions score above 0.8.
MIN_TEXT_SCORE = 0.8
# A "word" filling most of the frame is a texture, not text.
MAX_BOX_AREA = 0.4
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
# Picture changes since the last look that make OCR look again (see new_text_may_show;
# measured on bench/accuracy.py's footage and bench/analysis.py's slowly zooming clip, whose
# blocks change alike: the largest at most 3 times the median, which reaches 0.09 in 15 s).
PART_CHANGE = 0.06
LOCAL_RATIO = 4.0
WHOLE_CHANGE = 0.12
# The picture's look around a line, to tell an unchanged line from a new one (rows x cols).
SIGNATURE_SHAPE = (8, 32)


@dataclass(frozen=True)
class TextLine:
    """A line the detector found: its corners in the analysis picture's pixels (clockwise
    from top left), its box as ratios, and a small grey thumbnail of it."""

    quad: NDArray[np.float32]
    box: BoundingBox
    signature: NDArray[np.float32]


class TextDetector:
    name = "text"

    def __init__(
        self,
        recheck_ms: int = 30_000,
        det_side: int = 384,
        min_gap_ms: int = 1_500,
        settle_ms: int = 1_000,
    ) -> None:
        self.recheck_ms = recheck_ms
        self.min_gap_ms = min_gap_ms
        self.settle_ms = settle_ms
        self._det_side = det_side
        self._engine: Any = None

    def load(self, model_dir: Path) -> None:
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Det.limit_type": "max",
                "Det.limit_side_len": self._det_side,
                "Det.mean": IMAGENET_MEAN,
                "Det.std": IMAGENET_STD,
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self._engine._load_det_model()
        self._engine._load_rec_model()

    def wants(self, ctx: SampleContext) -> bool:
        if ctx.scene_changed:
            return True
        since = ctx.ms_since_text_check
        # the last look was at the cut or just after it: look again once the picture settled
        settled = ctx.ms_since_cut >= self.settle_ms and since > ctx.ms_since_cut - self.settle_ms
        change = ctx.change_since_text_check
        # where text is, more may come (a title building up word by word)
        building = ctx.text_in_view and change.part >= PART_CHANGE
        changed = since >= self.min_gap_ms and (building or new_text_may_show(change))
        return settled or changed or since >= self.recheck_ms

    def find(self, rgb: NDArray[Any]) -> list[TextLine]:
        """The text lines in an analysis picture (RGB)."""
        assert self._engine is not None, "load() first"
        h, w = rgb.shape[:2]
        scale = max(1.0, self._det_side / max(h, w))
        picture = rgb
        if scale > 1:  # quads are scaled back below
            size = (round(w * scale), round(h * scale))
            picture = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC))
        found = self._engine.text_det(np.ascontiguousarray(picture[..., ::-1]))
        if found.boxes is None:
            return []
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        lines: list[TextLine] = []
        for quad in found.boxes:
            quad = np.asarray(quad, dtype=np.float32) / scale
            xs, ys = quad[:, 0], quad[:, 1]
            box = box_from_pixels(
                float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), w, h
            )
            if box.width * box.height > MAX_BOX_AREA or box.width == 0 or box.height == 0:
                continue
            lines.append(TextLine(quad, box, _signature(grey, quad)))
        return lines

    def read(
        self, lines: list[TextLine], rgb: NDArray[Any], full: NDArray[Any] | None = None
    ) -> list[tuple[str, float]]:
        """(text, score 0-1) of each line, cropped from `full` (the same picture at a
        higher resolution) when given, else from the analysis picture `rgb`."""
        assert self._engine is not None, "load() first"
        if not lines:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        source = full if full is not None else rgb
        scale = source.shape[1] / rgb.shape[1]
        bgr = np.ascontiguousarray(source[..., ::-1])
        crops = [get_rotate_crop_image(bgr, line.quad * np.float32(scale)) for line in lines]
        out = self._engine.text_rec(TextRecInput(img=crops))
        return [(str(t).strip(), float(s)) for t, s in zip(out.txts, out.scores, strict=True)]

    def detect(self, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
        """Every line of one picture, found and read (no memory of earlier samples)."""
        lines = self.find(rgb)
        readings = self.read(lines, rgb)
        return frame_result(
            [(line.box, text, score) for line, (text, score) in zip(lines, readings, strict=True)]
        )


def new_text_may_show(change: PictureChange) -> bool:
    """A part of the picture changed where the rest did not (a caption, a sign coming into
    view), or the whole picture changed much (a pan to something else). A slow zoom or pan
    changes every block alike, a little: no reason to look again."""
    local = change.part >= PART_CHANGE and change.part >= LOCAL_RATIO * change.whole
    return local or change.whole >= WHOLE_CHANGE


def readable(text: str, score: float) -> bool:
    return score >= MIN_TEXT_SCORE and len(text) >= 2


def frame_result(readings: list[tuple[BoundingBox, str, float]]) -> FrameResult:
    """The readable lines as TextHits plus one "Text" detection holding their boxes."""
    result = FrameResult()
    for box, text, score in readings:
        if readable(text, score):
            result.texts.append(TextHit(text, round(score * 100, 2), box))
    if result.texts:
        top = max(t.confidence for t in result.texts)
        result.detections.append(
            Detection("Text", top, tuple((t.box, t.confidence) for t in result.texts))
        )
    return result


def _signature(grey: NDArray[Any], quad: NDArray[np.float32]) -> NDArray[np.float32]:
    rows, cols = SIGNATURE_SHAPE
    x0, y0 = np.floor(quad.min(axis=0)).astype(int).clip(0)
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
    small = cv2.resize(grey[y0:y1, x0:x1], (cols, rows), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32) / 255
