"""Build small TF.js graphs in memory (the JSON node/attr encoding of model.json) and run
their ONNX conversion with onnxruntime."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import onnxruntime as ort

from streambet.vision.model_cache.tfjs import graph_to_onnx
from streambet.vision.model_cache.tfjs.graph import TfGraph, TfNode

DT = {np.float32: "DT_FLOAT", np.int32: "DT_INT32", np.int64: "DT_INT64", np.bool_: "DT_BOOL"}


def s(text: str) -> dict[str, Any]:
    return {"s": base64.b64encode(text.encode()).decode()}


def i(value: int) -> dict[str, Any]:
    return {"i": str(value)}


def ints(*values: int) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


def strs(*values: str) -> dict[str, Any]:
    return {"list": {"s": [base64.b64encode(v.encode()).decode() for v in values]}}


def typ(dtype: type) -> dict[str, Any]:
    return {"type": DT[dtype]}


class Builder:
    def __init__(self) -> None:
        self.nodes: list[TfNode] = []
        self.weights: dict[str, np.ndarray] = {}
        self.inputs: dict[str, tuple[int, ...]] = {}

    def placeholder(self, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> str:
        dims = {"dim": [{"size": str(d)} for d in shape]}
        attrs = {"shape": {"shape": dims}, "dtype": typ(dtype)}
        self.nodes.append(TfNode(name, "Placeholder", (), attrs))
        self.inputs[name] = shape
        return name

    def const(self, name: str, value: Any, dtype: type = np.float32) -> str:
        array = np.asarray(value, dtype=dtype)
        attrs = {"value": {"tensor": {"dtype": DT[dtype]}}, "dtype": typ(dtype)}
        self.nodes.append(TfNode(name, "Const", (), attrs))
        # model.json ships int64 constants as int32, as the TF.js converter does
        self.weights[name] = array.astype(np.int32) if dtype is np.int64 else array
        return name

    def op(self, name: str, op: str, *inputs: str, **attrs: dict[str, Any]) -> str:
        self.nodes.append(TfNode(name, op, tuple(inputs), dict(attrs)))
        return name

    def graph(self, *outputs: str) -> TfGraph:
        return TfGraph(self.nodes, self.weights, self.inputs, list(outputs), {})

    def run(self, feeds: dict[str, np.ndarray], *outputs: str) -> list[np.ndarray]:
        model = graph_to_onnx(self.graph(*outputs))
        session = ort.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        names = [o.removesuffix(":0") for o in outputs]
        return [np.asarray(v) for v in session.run(names, feeds)]
