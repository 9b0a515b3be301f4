"""The state one conversion builds up: known constant values, the ONNX nodes emitted so far,
initializers, and the element type of every tensor (so constants can match their partner)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from onnx import NodeProto, TensorProto, helper, numpy_helper

from streambet.vision.model_cache.tfjs.errors import UnsupportedModelError
from streambet.vision.model_cache.tfjs.graph import TfNode, split_tensor_name

ONNX_TYPES: dict[np.dtype[Any], int] = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}


def onnx_type(dtype: np.dtype[Any]) -> int:
    try:
        return ONNX_TYPES[np.dtype(dtype)]
    except KeyError:
        raise UnsupportedModelError(f"dtype {dtype} has no ONNX mapping here") from None


def canonical(name: str) -> str:
    """TF tensor reference -> the ONNX value name used for it ('a' and 'a:0' are one tensor).
    '#' keeps these internal names apart from the graph's output names, which use ':'."""
    node, index = split_tensor_name(name)
    return f"{node}#{index}"


class Context:
    def __init__(self) -> None:
        self.consts: dict[str, NDArray[Any]] = {}  # canonical tensor name -> value
        self.types: dict[str, int] = {}  # canonical tensor name -> ONNX elem type
        self.nodes: list[NodeProto] = []
        self.initializers: dict[str, TensorProto] = {}
        self._counter = 0

    # --- names and constants -------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}__{self._counter}"

    def const_value(self, tf_name: str) -> NDArray[Any] | None:
        return self.consts.get(canonical(tf_name))

    def require_const(self, node: TfNode, index: int) -> NDArray[Any]:
        value = self.const_value(node.inputs[index])
        if value is None:
            raise UnsupportedModelError(
                f"{node.op} {node.name!r}: input {index} must be a constant here"
            )
        return value

    def set_const(self, tf_name: str, value: NDArray[Any]) -> None:
        name = canonical(tf_name)
        self.consts[name] = value
        self.types[name] = onnx_type(value.dtype)

    def constant(self, value: NDArray[Any], hint: str = "const") -> str:
        """A new initializer holding `value`; returns its name."""
        name = self.fresh(hint)
        self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def tensor(self, tf_name: str) -> str:
        """The ONNX value for a TF tensor, materialising a constant as an initializer the
        first time one is used."""
        name = canonical(tf_name)
        value = self.consts.get(name)
        if value is None:
            if name not in self.types:
                raise UnsupportedModelError(f"tensor {tf_name!r} is used before it is defined")
            return name
        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def type_of(self, tf_name: str) -> int:
        return self.types[canonical(tf_name)]

    # --- nodes -----------------------------------------------------------------------------
    def emit(
        self,
        op_type: str,
        inputs: list[str],
        outputs: list[str] | None = None,
        out_type: int | None = None,
        hint: str = "",
        **attrs: Any,
    ) -> list[str]:
        """Append one ONNX node. Outputs default to one fresh name; each output's type is
        `out_type` or, failing that, the first input's."""
        outs = outputs if outputs is not None else [self.fresh(hint or op_type)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        typ = out_type if out_type is not None else self.types.get(inputs[0]) if inputs else None
        if typ is not None:
            for o in outs:
                self.types.setdefault(o, typ)
        return outs

    def set_placeholder(self, name: str, dtype: np.dtype[Any]) -> int:
        """A graph input: its ONNX value carries the placeholder's own name; TF references
        ('name' / 'name:0') reach it through an Identity."""
        elem = onnx_type(dtype)
        self.nodes.append(helper.make_node("Identity", [name], [canonical(name)]))
        self.types[canonical(name)] = elem
        return elem
