"""One handler per TF op these graphs use, each emitting the equivalent ONNX nodes.

TF.js graphs are NHWC; ONNX convolution, pooling and resize are NCHW, so those handlers
wrap their node in a pair of Transposes. onnxruntime's transpose optimiser cancels the
back-to-back pairs this leaves between consecutive layers. Anything outside the covered
op/attribute set raises UnsupportedModelError instead of converting to something wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto

from streambet.vision.model_cache.tfjs.context import Context, canonical, onnx_type
from streambet.vision.model_cache.tfjs.errors import UnsupportedModelError
from streambet.vision.model_cache.tfjs.graph import TfNode

Handler = Callable[[Context, TfNode], None]
HANDLERS: dict[str, Handler] = {}

TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return register


def out(node: TfNode, index: int = 0) -> str:
    return canonical(f"{node.name}:{index}")


def _i64(values: object) -> NDArray[Any]:
    return np.asarray(values, dtype=np.int64)


# --- element-wise ------------------------------------------------------------------------
BINARY = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "Equal": "Equal"}


@handles(*BINARY)
def binary(ctx: Context, node: TfNode) -> None:
    a, b = node.inputs[:2]
    out_type = TensorProto.BOOL if node.op == "Equal" else None
    typed = b if ctx.const_value(a) is not None else a
    ctx.emit(
        BINARY[node.op],
        [ctx.tensor(a), ctx.tensor(b)],
        [out(node)],
        out_type=out_type if out_type is not None else ctx.type_of(typed),
    )


@handles("FloorDiv")
def floor_div(ctx: Context, node: TfNode) -> None:
    a, b = ctx.tensor(node.inputs[0]), ctx.tensor(node.inputs[1])
    typ = ctx.type_of(node.inputs[0])
    if typ == TensorProto.FLOAT:
        (q,) = ctx.emit("Div", [a, b])
        ctx.emit("Floor", [q], [out(node)], out_type=typ)
        return
    # Integer Div truncates toward zero; subtracting the floored remainder first makes the
    # division exact, which gives TF's floor semantics for either sign.
    (rem,) = ctx.emit("Mod", [a, b], out_type=typ, fmod=0)
    (exact,) = ctx.emit("Sub", [a, rem], out_type=typ)
    ctx.emit("Div", [exact, b], [out(node)], out_type=typ)


@handles("FloorMod")
def floor_mod(ctx: Context, node: TfNode) -> None:
    typ = ctx.type_of(node.inputs[0])
    if typ == TensorProto.FLOAT:  # ONNX Mod on floats is C fmod, not floor modulo
        raise UnsupportedModelError(f"FloorMod {node.name!r}: float operands")
    ctx.emit(
        "Mod",
        [ctx.tensor(node.inputs[0]), ctx.tensor(node.inputs[1])],
        [out(node)],
        out_type=typ,
        fmod=0,
    )


UNARY = {"Relu": "Relu", "Sigmoid": "Sigmoid", "Identity": "Identity"}


@handles(*UNARY)
def unary(ctx: Context, node: TfNode) -> None:
    x = node.inputs[0]
    ctx.emit(UNARY[node.op], [ctx.tensor(x)], [out(node)], out_type=ctx.type_of(x))


@handles("Relu6")
def relu6(ctx: Context, node: TfNode) -> None:
    lo = ctx.constant(np.array(0.0, np.float32))
    hi = ctx.constant(np.array(6.0, np.float32))
    ctx.emit("Clip", [ctx.tensor(node.inputs[0]), lo, hi], [out(node)], TensorProto.FLOAT)


@handles("LeakyRelu")
def leaky_relu(ctx: Context, node: TfNode) -> None:
    alpha = node.get_float("alpha", 0.2)
    ctx.emit("LeakyRelu", [ctx.tensor(node.inputs[0])], [out(node)], TensorProto.FLOAT, alpha=alpha)


@handles("Cast")
def cast(ctx: Context, node: TfNode) -> None:
    to = onnx_type(node.get_dtype("DstT"))
    ctx.emit("Cast", [ctx.tensor(node.inputs[0])], [out(node)], out_type=to, to=to)


# --- convolution and pooling ---------------------------------------------------------------
def _check_nhwc(node: TfNode) -> None:
    if node.get_str("data_format", "NHWC") != "NHWC":
        raise UnsupportedModelError(f"{node.op} {node.name!r}: data_format must be NHWC")


def _spatial(node: TfNode, key: str) -> list[int]:
    values = node.get_ints(key) if node.has(key) else [1, 1, 1, 1]
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        raise UnsupportedModelError(f"{node.op} {node.name!r}: {key}={values}")
    return values[1:3]


def _padding(node: TfNode) -> dict[str, Any]:
    padding = node.get_str("padding")
    if padding == "SAME":
        # TF puts the odd pixel of SAME padding at the end, as SAME_UPPER does.
        return {"auto_pad": "SAME_UPPER"}
    if padding == "VALID":
        return {"pads": [0, 0, 0, 0]}
    raise UnsupportedModelError(f"{node.op} {node.name!r}: padding {padding}")


def _fused_activation(ctx: Context, node: TfNode, x: str) -> str:
    """Apply a _Fused* op's trailing activation (BiasAdd is folded into the Conv itself)."""
    fused = node.get_strs("fused_ops") if node.has("fused_ops") else []
    if node.op.startswith(("_Fused", "Fused")) and (not fused or fused[0] != "BiasAdd"):
        raise UnsupportedModelError(f"{node.op} {node.name!r}: fused_ops {fused}")
    if node.has("num_args") and node.get_int("num_args") != 1:
        raise UnsupportedModelError(f"{node.op} {node.name!r}: num_args {node.get_int('num_args')}")
    rest = fused[1:]
    if not rest:
        return x
    if rest == ["Relu"]:  # the only fused activation these graphs use
        return ctx.emit("Relu", [x])[0]
    raise UnsupportedModelError(f"{node.op} {node.name!r}: fused activation {rest}")


def _conv(ctx: Context, node: TfNode, weight: NDArray[Any], group: int) -> None:
    _check_nhwc(node)
    x = ctx.emit("Transpose", [ctx.tensor(node.inputs[0])], perm=TO_NCHW)[0]
    inputs = [x, ctx.constant(weight, "weight")]
    if node.op.startswith(("_Fused", "Fused")):
        inputs.append(ctx.tensor(node.inputs[2]))
    (y,) = ctx.emit(
        "Conv",
        inputs,
        strides=_spatial(node, "strides"),
        dilations=_spatial(node, "dilations"),
        group=group,
        **_padding(node),
    )
    y = _fused_activation(ctx, node, y)
    ctx.emit("Transpose", [y], [out(node)], TensorProto.FLOAT, perm=TO_NHWC)


@handles("Conv2D", "_FusedConv2D")
def conv2d(ctx: Context, node: TfNode) -> None:
    hwio = ctx.require_const(node, 1)
    _conv(ctx, node, hwio.transpose(3, 2, 0, 1), group=1)


@handles("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")
def depthwise(ctx: Context, node: TfNode) -> None:
    h, w, c, m = (hwcm := ctx.require_const(node, 1)).shape
    # TF output channel c*M + m is ONNX group c, filter m: the same c-major order.
    weight = hwcm.reshape(h, w, c * m).transpose(2, 0, 1)[:, None, :, :]
    _conv(ctx, node, weight, group=c)


@handles("MaxPool")
def max_pool(ctx: Context, node: TfNode) -> None:
    _check_nhwc(node)
    x = ctx.emit("Transpose", [ctx.tensor(node.inputs[0])], perm=TO_NCHW)[0]
    (y,) = ctx.emit(
        "MaxPool",
        [x],
        kernel_shape=_spatial(node, "ksize"),
        strides=_spatial(node, "strides"),
        **_padding(node),
    )
    ctx.emit("Transpose", [y], [out(node)], TensorProto.FLOAT, perm=TO_NHWC)


@handles("ResizeBilinear")
def resize_bilinear(ctx: Context, node: TfNode) -> None:
    size = ctx.require_const(node, 1)
    if node.get_bool("align_corners"):
        mode = "align_corners"
    elif node.get_bool("half_pixel_centers"):
        mode = "half_pixel"
    else:
        mode = "asymmetric"  # legacy TF: source = destination * in / out
    x = ctx.emit("Transpose", [ctx.tensor(node.inputs[0])], perm=TO_NCHW)[0]
    # Full 4-D sizes (batch and channels read from the tensor): onnxruntime's layout
    # optimiser rewrites Resize sizes assuming one entry per dimension.
    (shape,) = ctx.emit("Shape", [x], out_type=TensorProto.INT64, start=0, end=2)
    (sizes,) = ctx.emit("Concat", [shape, ctx.constant(_i64(size), "size")], axis=0)
    (y,) = ctx.emit(
        "Resize", [x, "", "", sizes], mode="linear", coordinate_transformation_mode=mode
    )
    ctx.emit("Transpose", [y], [out(node)], TensorProto.FLOAT, perm=TO_NHWC)


# --- reductions, shapes and indexing --------------------------------------------------------
@handles("Mean")
def mean(ctx: Context, node: TfNode) -> None:
    axes = _i64(ctx.require_const(node, 1)).reshape(-1)
    ctx.emit(
        "ReduceMean",
        [ctx.tensor(node.inputs[0]), ctx.constant(axes, "axes")],
        [out(node)],
        TensorProto.FLOAT,
        keepdims=int(node.get_bool("keep_dims")),
    )


@handles("ConcatV2")
def concat(ctx: Context, node: TfNode) -> None:
    axis = int(ctx.require_const(node, len(node.inputs) - 1))
    parts = list(node.inputs[:-1])
    ref = next((p for p in parts if ctx.const_value(p) is None), parts[0])
    ctx.emit("Concat", [ctx.tensor(p) for p in parts], [out(node)], ctx.type_of(ref), axis=axis)


@handles("Reshape")
def reshape(ctx: Context, node: TfNode) -> None:
    shape = _i64(ctx.require_const(node, 1))
    if (shape == 0).any():
        raise UnsupportedModelError(f"Reshape {node.name!r}: zero-sized dimension")
    x = node.inputs[0]
    ctx.emit("Reshape", [ctx.tensor(x), ctx.constant(shape, "shape")], [out(node)], ctx.type_of(x))


@handles("ExpandDims")
def expand_dims(ctx: Context, node: TfNode) -> None:
    axes = _i64(ctx.require_const(node, 1)).reshape(-1)
    x = node.inputs[0]
    ctx.emit("Unsqueeze", [ctx.tensor(x), ctx.constant(axes, "axes")], [out(node)], ctx.type_of(x))


@handles("Transpose")
def transpose(ctx: Context, node: TfNode) -> None:
    perm = [int(p) for p in ctx.require_const(node, 1)]
    x = node.inputs[0]
    ctx.emit("Transpose", [ctx.tensor(x)], [out(node)], ctx.type_of(x), perm=perm)


@handles("Pad", "PadV2")
def pad(ctx: Context, node: TfNode) -> None:
    pairs = _i64(ctx.require_const(node, 1))
    inputs = [ctx.tensor(node.inputs[0]), ctx.constant(pairs.T.reshape(-1), "pads")]
    if node.op == "PadV2":
        inputs.append(ctx.tensor(node.inputs[2]))
    ctx.emit("Pad", inputs, [out(node)], TensorProto.FLOAT, mode="constant")


@handles("SplitV")
def split_v(ctx: Context, node: TfNode) -> None:
    sizes = _i64(ctx.require_const(node, 1))
    axis = int(ctx.require_const(node, 2))
    if (sizes < 0).any():
        raise UnsupportedModelError(f"SplitV {node.name!r}: inferred split size")
    x = node.inputs[0]
    outs = [out(node, i) for i in range(len(sizes))]
    ctx.emit(
        "Split", [ctx.tensor(x), ctx.constant(sizes, "split")], outs, ctx.type_of(x), axis=axis
    )


@handles("GatherV2")
def gather(ctx: Context, node: TfNode) -> None:
    if node.get_int("batch_dims", 0):
        raise UnsupportedModelError(f"GatherV2 {node.name!r}: batch_dims")
    axis = int(ctx.require_const(node, 2))
    x = node.inputs[0]
    ctx.emit(
        "Gather",
        [ctx.tensor(x), ctx.tensor(node.inputs[1])],
        [out(node)],
        ctx.type_of(x),
        axis=axis,
    )


@handles("TopKV2")
def top_k(ctx: Context, node: TfNode) -> None:
    k = _i64(ctx.require_const(node, 1)).reshape(1)
    x = node.inputs[0]
    indices = ctx.fresh("topk_indices")
    ctx.emit(
        "TopK",
        [ctx.tensor(x), ctx.constant(k, "k")],
        [out(node, 0), indices],
        ctx.type_of(x),
        axis=-1,
        largest=1,
        sorted=int(node.get_bool("sorted", True)),
    )
    ctx.emit("Cast", [indices], [out(node, 1)], TensorProto.INT32, to=TensorProto.INT32)


@handles("StridedSlice")
def strided_slice(ctx: Context, node: TfNode) -> None:
    begin = [int(v) for v in ctx.require_const(node, 1)]
    end = [int(v) for v in ctx.require_const(node, 2)]
    steps = [int(v) for v in ctx.require_const(node, 3)]
    if node.get_int("ellipsis_mask", 0) or node.get_int("new_axis_mask", 0):
        raise UnsupportedModelError(f"StridedSlice {node.name!r}: ellipsis/new_axis masks")
    begin_mask, end_mask = node.get_int("begin_mask", 0), node.get_int("end_mask", 0)
    shrink = node.get_int("shrink_axis_mask", 0)
    starts, ends, squeeze = [], [], []
    for axis, (b, e, s) in enumerate(zip(begin, end, steps, strict=True)):
        if shrink >> axis & 1:
            starts.append(b)
            ends.append(b + 1 if b != -1 else INT64_MAX)
            squeeze.append(axis)
            continue
        starts.append((0 if s > 0 else INT64_MAX) if begin_mask >> axis & 1 else b)
        ends.append((INT64_MAX if s > 0 else INT64_MIN) if end_mask >> axis & 1 else e)
    x = node.inputs[0]
    typ = ctx.type_of(x)
    inputs = [
        ctx.tensor(x),
        ctx.constant(_i64(starts), "starts"),
        ctx.constant(_i64(ends), "ends"),
        ctx.constant(_i64(list(range(len(starts)))), "axes"),
        ctx.constant(_i64(steps), "steps"),
    ]
    if not squeeze:
        ctx.emit("Slice", inputs, [out(node)], typ)
        return
    (sliced,) = ctx.emit("Slice", inputs, out_type=typ)
    ctx.emit("Squeeze", [sliced, ctx.constant(_i64(squeeze), "axes")], [out(node)], typ)


# --- constant folding ------------------------------------------------------------------------
def _sparse_to_dense(node: TfNode, args: list[NDArray[Any]]) -> NDArray[Any]:
    indices, shape, values, default = args
    dense = np.full(tuple(int(d) for d in shape), default, dtype=default.dtype)
    idx = indices.astype(np.int64).reshape(len(indices), -1) if indices.size else None
    if idx is not None:
        dense[tuple(idx.T)] = values
    return dense


# Ops evaluated in numpy at conversion time when every input is a constant (exported
# graphs keep such sub-graphs, e.g. SparseToDense building reshape targets).
FOLDERS: dict[str, Callable[[TfNode, list[NDArray[Any]]], NDArray[Any]]] = {
    "SparseToDense": _sparse_to_dense,
    "Add": lambda n, a: a[0] + a[1],
    "AddV2": lambda n, a: a[0] + a[1],
    "Sub": lambda n, a: a[0] - a[1],
    "Mul": lambda n, a: a[0] * a[1],
    "Identity": lambda n, a: a[0],
    "Cast": lambda n, a: a[0].astype(n.get_dtype("DstT")),
}
