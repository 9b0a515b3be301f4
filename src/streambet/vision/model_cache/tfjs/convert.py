"""TF.js graph model -> ONNX model, built node by node with onnx.helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, helper

from streambet.vision.model_cache.atomic import atomic_write
from streambet.vision.model_cache.tfjs.context import Context
from streambet.vision.model_cache.tfjs.errors import UnsupportedModelError
from streambet.vision.model_cache.tfjs.graph import TfGraph, TfNode, load_graph, split_tensor_name
from streambet.vision.model_cache.tfjs.ops import FOLDERS, HANDLERS

OPSET = 18  # ReduceMean, Split and Pad take their parameters as inputs


def _topological(nodes: list[TfNode], outputs: list[str]) -> list[TfNode]:
    """The nodes the outputs depend on, each after its inputs (nothing else is converted)."""
    by_name = {n.name: n for n in nodes}
    order: list[TfNode] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for output in outputs:
        root = by_name.get(split_tensor_name(output)[0])
        if root is None:
            raise UnsupportedModelError(f"no tensor {output!r} in the graph")
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if state.get(node.name) == 2:
                continue
            if expanded:
                state[node.name] = 2
                order.append(node)
                continue
            if state.get(node.name) == 1:
                raise UnsupportedModelError(f"graph has a cycle through {node.name!r}")
            state[node.name] = 1
            stack.append((node, True))
            for ref in node.inputs:
                dep = by_name.get(split_tensor_name(ref)[0])
                if dep is None:
                    raise UnsupportedModelError(f"{node.name!r} reads unknown tensor {ref!r}")
                if state.get(dep.name) != 2:
                    stack.append((dep, False))
    return order


def graph_to_onnx(graph: TfGraph, outputs: list[str] | None = None) -> ModelProto:
    """Convert a loaded graph. `outputs` are TF tensor names (default: the signature's)."""
    wanted = outputs or graph.outputs
    order = _topological(graph.nodes, wanted)
    missing = {n.op for n in order} - set(HANDLERS) - set(FOLDERS) - {"Const", "Placeholder"}
    if missing:
        raise UnsupportedModelError(f"ops not covered: {sorted(missing)}")
    ctx = Context()
    inputs = []
    for node in order:
        if node.op == "Const":
            value = graph.weights.get(node.name)
            if value is None:
                raise UnsupportedModelError(f"constant {node.name!r} has no weight data")
            dtype = node.attrs.get("value", {}).get("tensor", {}).get("dtype")
            if dtype == "DT_INT64":  # TF.js ships int64 constants as int32
                value = value.astype(np.int64)
            ctx.set_const(node.name, value)
        elif node.op == "Placeholder":
            elem = ctx.set_placeholder(node.name, node.get_dtype("dtype"))
            shape = [d if d >= 0 else None for d in graph.inputs[node.name]]
            inputs.append(helper.make_tensor_value_info(node.name, elem, shape))
        elif node.op in FOLDERS and all(ctx.const_value(i) is not None for i in node.inputs):
            args = [ctx.require_const(node, i) for i in range(len(node.inputs))]
            ctx.set_const(node.name, np.asarray(FOLDERS[node.op](node, args)))
        else:
            HANDLERS[node.op](ctx, node)
    labels = []
    for name in wanted:
        label = name.removesuffix(":0")
        ctx.emit("Identity", [ctx.tensor(name)], [label], out_type=ctx.type_of(name))
        labels.append(label)
    model = helper.make_model(
        helper.make_graph(ctx.nodes, "tfjs_graph", inputs, [], list(ctx.initializers.values())),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="streambet.vision.model_cache.tfjs",
    )
    model.ir_version = 8  # readable by every onnxruntime that supports opset 18
    helper.set_model_props(model, graph.metadata)
    # ONNX outputs need a shape; take it from ONNX's own inference over the built graph.
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    known = {v.name: v for v in inferred.graph.value_info}
    for label in labels:
        if label not in known:
            raise UnsupportedModelError(f"could not infer the shape of output {label!r}")
        model.graph.output.append(known[label])
    onnx.checker.check_model(model, full_check=True)
    return model


def convert_file(model_json: Path, onnx_path: Path, outputs: list[str] | None = None) -> ModelProto:
    """Convert model.json (+ shards) and write the ONNX file atomically: a temporary file in
    the same directory moved into place, so concurrent converters never expose a torn file."""
    model = graph_to_onnx(load_graph(model_json), outputs)
    atomic_write(onnx_path, model.SerializeToString())
    return model
