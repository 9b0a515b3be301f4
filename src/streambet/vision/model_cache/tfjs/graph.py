"""Reading a TF.js graph model: model.json (a GraphDef in protobuf-JSON form plus a weight
manifest) and its binary weight shards. Plain data out; no TensorFlow involved."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.vision.model_cache.tfjs.errors import UnsupportedModelError

# TF DataType enum names -> numpy dtypes, for the types these graphs carry.
TF_DTYPES: dict[str, np.dtype[Any]] = {
    "DT_FLOAT": np.dtype(np.float32),
    "DT_INT32": np.dtype(np.int32),
    "DT_INT64": np.dtype(np.int64),
    "DT_BOOL": np.dtype(np.bool_),
}

# Manifest dtypes. TF.js stores int64 constants as int32; the node's own dtype says which.
MANIFEST_DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype(np.bool_),
}


@dataclass(frozen=True)
class TfNode:
    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

    def _attr(self, key: str) -> dict[str, Any]:
        try:
            value: dict[str, Any] = self.attrs[key]
        except KeyError:
            raise UnsupportedModelError(f"{self.op} {self.name!r}: no attribute {key!r}") from None
        return value

    def has(self, key: str) -> bool:
        return key in self.attrs

    def get_int(self, key: str, default: int | None = None) -> int:
        if default is not None and key not in self.attrs:
            return default
        return int(self._attr(key).get("i", 0))

    def get_ints(self, key: str) -> list[int]:
        return [int(v) for v in self._attr(key).get("list", {}).get("i", [])]

    def get_float(self, key: str, default: float | None = None) -> float:
        if default is not None and key not in self.attrs:
            return default
        return float(self._attr(key).get("f", 0.0))

    def get_bool(self, key: str, default: bool = False) -> bool:
        if key not in self.attrs:
            return default
        return bool(self._attr(key).get("b", False))

    def get_str(self, key: str, default: str | None = None) -> str:
        if default is not None and key not in self.attrs:
            return default
        return base64.b64decode(self._attr(key).get("s", "")).decode()

    def get_strs(self, key: str) -> list[str]:
        raw = self.attrs.get(key, {}).get("list", {}).get("s", [])
        return [base64.b64decode(s).decode() for s in raw]

    def get_dtype(self, key: str) -> np.dtype[Any]:
        name = self._attr(key).get("type", "DT_FLOAT")
        try:
            return TF_DTYPES[name]
        except KeyError:
            raise UnsupportedModelError(f"{self.op} {self.name!r}: dtype {name}") from None


@dataclass
class TfGraph:
    nodes: list[TfNode]
    weights: dict[str, NDArray[Any]]
    inputs: dict[str, tuple[int, ...]]  # placeholder name -> shape (-1 for unknown)
    outputs: list[str]  # signature output tensor names, in signature order
    metadata: dict[str, str]


def split_tensor_name(name: str) -> tuple[str, int]:
    """'node:1' -> ('node', 1); 'node' -> ('node', 0)."""
    node, _, index = name.partition(":")
    return node, int(index) if index else 0


def _decode_weight(spec: dict[str, Any], data: bytes, offset: int) -> tuple[NDArray[Any], int]:
    shape = tuple(int(d) for d in spec["shape"])
    count = int(np.prod(shape)) if shape else 1
    quant = spec.get("quantization")
    if quant is None:
        try:
            dtype = MANIFEST_DTYPES[spec["dtype"]]
        except KeyError:
            raise UnsupportedModelError(f"weight {spec['name']!r}: dtype {spec['dtype']}") from None
        size = count * dtype.itemsize
        array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        return array.reshape(shape).copy(), offset + size
    if quant.get("dtype") == "float16" and spec["dtype"] == "float32":
        # float16 "quantisation" is a plain cast; dequantise back to float32 as TF.js does.
        array = np.frombuffer(data, dtype="<f2", count=count, offset=offset)
        return array.astype(np.float32).reshape(shape), offset + count * 2
    raise UnsupportedModelError(f"weight {spec['name']!r}: quantisation {quant}")


def _shape_of(shape_attr: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(d.get("size", -1)) for d in shape_attr.get("dim", []))


def load_graph(model_json: Path) -> TfGraph:
    """Parse model.json and its weight shards (paths relative to model.json)."""
    doc = json.loads(model_json.read_text())
    if doc.get("format") != "graph-model":
        raise UnsupportedModelError(f"{model_json.name}: not a TF.js graph model")
    topology = doc["modelTopology"]
    if topology.get("library", {}).get("function"):
        raise UnsupportedModelError(f"{model_json.name}: graph functions are not supported")
    weights: dict[str, NDArray[Any]] = {}
    for group in doc["weightsManifest"]:
        data = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            weights[spec["name"]], offset = _decode_weight(spec, data, offset)
        if offset != len(data):
            raise UnsupportedModelError(f"{model_json.name}: weight shards hold {len(data)} bytes")
    # '^name' inputs are control dependencies: ordering hints irrelevant to inference
    nodes = [
        TfNode(
            n["name"],
            n["op"],
            tuple(i for i in n.get("input", ()) if not i.startswith("^")),
            dict(n.get("attr", {})),
        )
        for n in topology["node"]
    ]
    inputs = {
        n.name: _shape_of(n.attrs.get("shape", {}).get("shape", {}))
        for n in nodes
        if n.op == "Placeholder"
    }
    signature = doc.get("signature", {})
    outputs = [o["name"] for o in signature.get("outputs", {}).values()]
    metadata = {k: str(doc[k]) for k in ("generatedBy", "convertedBy") if doc.get(k)}
    return TfGraph(nodes, weights, inputs, outputs, metadata)
