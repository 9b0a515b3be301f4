"""Would the classifier see a missed thing if it looked closer? For every present window
that an uncalibrated run of bench/accuracy.py never claimed, the classifier's probability
of the window's label (the sum over its ImageNet classes, as the engine rolls up) on a few
of the window's frames, in the views the engine has and in closer ones it has not:

    .venv/bin/python bench/accuracy.py --raw --timelines var/eval/raw --json var/eval/raw.json
    .venv/bin/python bench/missed_views.py var/eval/raw.json

- `frame`: the whole frame; `grid`: the engine's regions (its feature map pooled over
  2 x 3 windows, classifier.py);
- `fine`: the same feature map pooled over 3 x 3 windows of 45% and 4 x 4 of 30%;
- `tiles`: separate inferences on full-resolution crops, 3 x 3 of 66% and of 50% of the
  frame (what a finer look would cost: 18 more inferences a sample);
- `boxes`: a second stage on the object detector's boxes (weak ones too, from
  `CONTINUE_FLOOR`), each cropped at full resolution with `BOX_PAD` of its size around it
  (an instrument held by a person, an animal at a usable size).

A window whose label stays near 0 in every view is beyond this classifier: no grid, crop or
calibration brings it to 50. Prints figures, never passes or fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eval.scoring import parse_truth  # noqa: E402
from streambet.vision.pipeline.detectors import classifier as clf  # noqa: E402
from streambet.vision.pipeline.detectors.objects import CocoModel  # noqa: E402
from streambet.vision.pipeline.taxonomy import get_taxonomy  # noqa: E402
from streambet.vision.pipeline.tracking import CONTINUE_FLOOR  # noqa: E402

TRUTH = ROOT / "bench" / "eval" / "truth.json"
FRAMES = 3  # per window, evenly inside it
BOX_PAD = 0.15  # share of an object box's width and height added on each side
VIEWS = ("frame", "grid", "fine", "tiles", "boxes")


def _pooled(fmap: NDArray[Any], frac: float, n: int) -> list[NDArray[Any]]:
    _, h, w = fmap.shape
    wh, ww = max(1, round(h * frac)), max(1, round(w * frac))
    rows = sorted({round(x) for x in np.linspace(0, h - wh, n)})
    cols = sorted({round(x) for x in np.linspace(0, w - ww, n)})
    return [fmap[:, r : r + wh, c : c + ww].mean(axis=(1, 2)) for r in rows for c in cols]


def _crop_probability(det: clf.ClassifierDetector, crop: NDArray[Any], ids: list[int]) -> float:
    x, _, _ = det._input(np.ascontiguousarray(crop))
    p = det._session.run(None, {"image": x})[0]  # type: ignore[attr-defined]
    return float(p[0, ids].sum())


def boxes(coco: CocoModel, det: clf.ClassifierDetector, rgb: NDArray[Any], ids: list[int]) -> float:
    """The label's best probability on the padded crops of the object detector's boxes."""
    h, w = rgb.shape[:2]
    best = 0.0
    for hit in coco.detect(rgb, weak_floor=CONTINUE_FLOOR):
        b = hit.box
        x0, x1 = (b.left - BOX_PAD * b.width) * w, (b.left + (1 + BOX_PAD) * b.width) * w
        y0, y1 = (b.top - BOX_PAD * b.height) * h, (b.top + (1 + BOX_PAD) * b.height) * h
        crop = rgb[max(0, int(y0)) : min(h, int(y1)), max(0, int(x0)) : min(w, int(x1))]
        if min(crop.shape[:2]) >= 8:
            best = max(best, _crop_probability(det, crop, ids))
    return best


def views(det: clf.ClassifierDetector, rgb: NDArray[Any], ids: list[int]) -> dict[str, float]:
    """The label's best probability in each of the classifier's own kinds of view."""
    x, _, _ = det._input(rgb)
    probs, features = det._session.run(None, {"image": x})  # type: ignore[attr-defined]
    fmap = features[0]
    _, fh, fw = fmap.shape

    def head(pooled: list[NDArray[Any]]) -> float:
        p = clf._softmax(np.stack(pooled) @ det._fc_w.T + det._fc_b)
        return float(p[:, ids].sum(axis=1).max())

    grid = [fmap[:, r0:r1, c0:c1].mean(axis=(1, 2)) for r0, r1, c0, c1 in clf._windows(fh, fw)]
    tiles = 0.0
    h, w = rgb.shape[:2]
    for frac in (0.66, 0.5):
        ch, cw = int(h * frac), int(w * frac)
        for y in np.linspace(0, h - ch, 3).astype(int):
            for x0 in np.linspace(0, w - cw, 3).astype(int):
                tiles = max(tiles, _crop_probability(det, rgb[y : y + ch, x0 : x0 + cw], ids))
    return {
        "frame": float(probs[0, ids].sum()),
        "grid": head(grid),
        "fine": max(head(_pooled(fmap, 0.45, 3)), head(_pooled(fmap, 0.3, 4))),
        "tiles": tiles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="bench/accuracy.py --raw --json output")
    parser.add_argument("--clips", type=Path, default=ROOT / "var" / "eval" / "clips")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    files = {c.id: c.file for c in parse_truth(json.loads(TRUTH.read_text()))}
    tax = get_taxonomy()
    classes = tax.class_names()
    det = clf.ClassifierDetector()
    det.load(args.model_dir)
    coco = CocoModel(args.model_dir)
    missed = [w for w in report["windows"] if not w["best"]]
    heads = "".join(f"{k:>7}" for k in VIEWS)
    print(f"{'window':<48}{heads}  (best of {FRAMES} frames)")
    for w in missed:
        ids = [i for i, name in enumerate(classes) if tax.is_a(name, w["label"])]
        cap = cv2.VideoCapture(str(args.clips / files[w["clip"]]))
        best = dict.fromkeys(VIEWS, 0.0)
        for t in np.linspace(w["start_ms"], w["end_ms"], FRAMES + 2)[1:-1]:
            cap.set(cv2.CAP_PROP_POS_MSEC, float(t))
            ok, bgr = cap.read()
            if ok and ids:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                seen = views(det, rgb, ids) | {"boxes": boxes(coco, det, rgb, ids)}
                best = {k: max(v, seen[k]) for k, v in best.items()}
        cap.release()
        name = f"{w['clip']}: {w['label']} {w['start_ms']}-{w['end_ms']}"
        if not ids:
            name += " (no ImageNet class)"
        print(f"{name:<48}" + "".join(f"{best[k]:>7.3f}" for k in best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
