"""Each converted op against an independent numpy reference of TF's semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from streambet.vision.model_cache.tfjs import UnsupportedModelError, graph_to_onnx
from tests.unit.tfjs.graphs import Builder, i, ints, s, strs, typ

RNG = np.random.default_rng(7)


def tf_same_pads(size: int, k: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def ref_conv(x: np.ndarray, w: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """NHWC x HWIO -> NHWC, TF padding rules."""
    kh, kw = w.shape[:2]
    if padding == "SAME":
        ph, pw = tf_same_pads(x.shape[1], kh, stride), tf_same_pads(x.shape[2], kw, stride)
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("nhwcij,ijco->nhwo", win, w)


def ref_depthwise(x: np.ndarray, w: np.ndarray, stride: int, padding: str) -> np.ndarray:
    kh, kw, c, m = w.shape
    if padding == "SAME":
        ph, pw = tf_same_pads(x.shape[1], kh, stride), tf_same_pads(x.shape[2], kw, stride)
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    out = np.einsum("nhwcij,ijcm->nhwcm", win, w)
    return out.reshape(*out.shape[:3], c * m)


def conv_attrs(stride: int, padding: str, fused: tuple[str, ...] = ()) -> dict[str, dict]:
    attrs = {
        "strides": ints(1, stride, stride, 1),
        "padding": s(padding),
        "data_format": s("NHWC"),
        "dilations": ints(1, 1, 1, 1),
    }
    if fused:
        attrs["fused_ops"] = strs(*fused)
        attrs["num_args"] = i(1)
    return attrs


@pytest.mark.parametrize(
    ("shape", "stride", "padding"),
    [((1, 9, 7, 3), 2, "SAME"), ((1, 8, 8, 3), 1, "SAME"), ((1, 9, 9, 3), 2, "VALID")],
)
def test_fused_conv2d_bias_relu_matches_tf_padding(shape, stride, padding):
    x = RNG.normal(size=shape).astype(np.float32) * 3
    w = RNG.normal(size=(3, 3, 3, 5)).astype(np.float32)
    bias = RNG.normal(size=5).astype(np.float32)
    b = Builder()
    b.placeholder("x", shape)
    b.const("w", w)
    b.const("b", bias)
    b.op("y", "_FusedConv2D", "x", "w", "b", **conv_attrs(stride, padding, ("BiasAdd", "Relu")))
    (got,) = b.run({"x": x}, "y")
    want = np.maximum(ref_conv(x, w, stride, padding) + bias, 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_plain_conv2d_and_fused_relu():
    x = RNG.normal(size=(1, 6, 6, 4)).astype(np.float32)
    w = RNG.normal(size=(1, 1, 4, 2)).astype(np.float32)
    bias = np.array([0.5, -0.5], np.float32)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("w", w)
    b.const("b", bias)
    b.op("plain", "Conv2D", "x", "w", **conv_attrs(1, "SAME"))
    b.op("fused", "_FusedConv2D", "x", "w", "b", **conv_attrs(1, "SAME", ("BiasAdd", "Relu")))
    plain, fused = b.run({"x": x}, "plain", "fused")
    np.testing.assert_allclose(plain, ref_conv(x, w, 1, "SAME"), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused, np.maximum(plain + bias, 0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("stride", "padding"), [(1, "SAME"), (2, "SAME"), (1, "VALID")])
def test_depthwise_with_channel_multiplier(stride, padding):
    x = RNG.normal(size=(1, 7, 7, 3)).astype(np.float32)
    w = RNG.normal(size=(3, 3, 3, 2)).astype(np.float32)
    bias = RNG.normal(size=6).astype(np.float32)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("w", w)
    b.const("b", bias)
    b.op("plain", "DepthwiseConv2dNative", "x", "w", **conv_attrs(stride, padding))
    b.op(
        "fused",
        "FusedDepthwiseConv2dNative",
        "x",
        "w",
        "b",
        **conv_attrs(stride, padding, ("BiasAdd", "Relu")),
    )
    plain, fused = b.run({"x": x}, "plain", "fused")
    want = ref_depthwise(x, w, stride, padding)
    np.testing.assert_allclose(plain, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused, np.maximum(want + bias, 0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fused", [("BiasAdd", "Relu6"), ("BiasAdd", "Elu"), ("Relu",)])
def test_uncovered_fused_ops_are_refused(fused):
    b = Builder()
    b.placeholder("x", (1, 4, 4, 1))
    b.const("w", np.ones((1, 1, 1, 1)))
    b.const("b", np.zeros(1))
    b.op("y", "_FusedConv2D", "x", "w", "b", **conv_attrs(1, "SAME", fused))
    with pytest.raises(UnsupportedModelError, match="fused"):
        graph_to_onnx(b.graph("y"))


def test_unknown_op_is_refused_by_name():
    b = Builder()
    b.placeholder("x", (1, 2))
    b.op("y", "Softplus", "x")
    with pytest.raises(UnsupportedModelError, match="Softplus"):
        graph_to_onnx(b.graph("y"))


@pytest.mark.parametrize(("stride", "padding"), [(1, "SAME"), (2, "VALID")])
def test_max_pool(stride, padding):
    x = RNG.normal(size=(1, 7, 7, 2)).astype(np.float32) - 5  # negative: pads must not win
    b = Builder()
    b.placeholder("x", x.shape)
    attrs = conv_attrs(stride, padding)
    attrs["ksize"] = ints(1, 3, 3, 1)
    b.op("y", "MaxPool", "x", **attrs)
    (got,) = b.run({"x": x}, "y")
    padded = x
    if padding == "SAME":
        pads = tf_same_pads(7, 3, stride)
        padded = np.pad(x, ((0, 0), pads, pads, (0, 0)), constant_values=-np.inf)
    win = sliding_window_view(padded, (3, 3), axis=(1, 2))[:, ::stride, ::stride]
    np.testing.assert_array_equal(got, win.max(axis=(-1, -2)))


def ref_resize(x: np.ndarray, out_h: int, out_w: int, half_pixel: bool) -> np.ndarray:
    """TF ResizeBilinear (align_corners=False), computed per output pixel."""
    _, h, w, _ = x.shape

    def coords(out: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = size / out
        src = (np.arange(out) + 0.5) * scale - 0.5 if half_pixel else np.arange(out) * scale
        lo = np.floor(src)
        frac = src - lo
        lo_i = np.clip(lo, 0, size - 1).astype(int)
        hi_i = np.clip(lo + 1, 0, size - 1).astype(int)
        return lo_i, hi_i, frac

    y0, y1, fy = coords(out_h, h)
    x0, x1, fx = coords(out_w, w)
    top = (
        x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y0][:, :, x1] * fx[None, None, :, None]
    )
    bottom = (
        x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y1][:, :, x1] * fx[None, None, :, None]
    )
    return top * (1 - fy)[None, :, None, None] + bottom * fy[None, :, None, None]


@pytest.mark.parametrize("half_pixel", [False, True])
@pytest.mark.parametrize("size", [(8, 12), (5, 3)])
def test_resize_bilinear(half_pixel, size):
    x = RNG.normal(size=(1, 4, 6, 3)).astype(np.float32)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("size", size, np.int32)
    b.op(
        "y",
        "ResizeBilinear",
        "x",
        "size",
        align_corners={"b": False},
        half_pixel_centers={"b": half_pixel},
    )
    (got,) = b.run({"x": x}, "y")
    np.testing.assert_allclose(got, ref_resize(x, *size, half_pixel), rtol=1e-5, atol=1e-5)


def test_integer_floor_div_and_mod_follow_floor_semantics():
    a = np.array([7, -7, 7, -7, 0, 13], np.int32)
    d = np.array([2, 2, -2, -2, 3, 5], np.int32)
    b = Builder()
    b.placeholder("a", a.shape, np.int32)
    b.placeholder("d", d.shape, np.int32)
    b.op("q", "FloorDiv", "a", "d")
    b.op("r", "FloorMod", "a", "d")
    q, r = b.run({"a": a, "d": d}, "q", "r")
    np.testing.assert_array_equal(q, np.floor_divide(a, d))
    np.testing.assert_array_equal(r, np.mod(a, d))
    assert q.dtype == np.int32


def test_top_k_values_and_int32_indices():
    x = RNG.permutation(50).astype(np.float32).reshape(2, 25)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("k", 4, np.int32)
    b.op("t", "TopKV2", "x", "k", sorted={"b": True})
    values, indices = b.run({"x": x}, "t:0", "t:1")
    want = np.argsort(-x, axis=1)[:, :4]
    np.testing.assert_array_equal(indices, want)
    np.testing.assert_array_equal(values, np.take_along_axis(x, want, 1))
    assert indices.dtype == np.int32


@pytest.mark.parametrize(
    ("begin", "end", "strides", "masks", "index"),
    [
        ([0, 1, 0], [0, 3, 0], [1, 1, 1], {"begin_mask": 5, "end_mask": 5}, np.s_[:, 1:3, :]),
        ([0, 0, 2], [0, 0, 3], [1, 1, 1], {"begin_mask": 3, "end_mask": 3}, np.s_[:, :, 2:3]),
        (
            [0, 0, -1],
            [0, 0, 0],
            [1, 1, 1],
            {"begin_mask": 3, "end_mask": 3, "shrink": 4},
            np.s_[:, :, -1],
        ),
        (
            [1, 0, 0],
            [0, 0, 0],
            [1, -1, 2],
            {"begin_mask": 6, "end_mask": 7, "shrink": 0},
            np.s_[1:, ::-1, ::2],
        ),
    ],
)
def test_strided_slice_masks(begin, end, strides, masks, index):
    x = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("b", begin, np.int32)
    b.const("e", end, np.int32)
    b.const("s", strides, np.int32)
    b.op(
        "y",
        "StridedSlice",
        "x",
        "b",
        "e",
        "s",
        begin_mask=i(masks["begin_mask"]),
        end_mask=i(masks["end_mask"]),
        shrink_axis_mask=i(masks.get("shrink", 0)),
        ellipsis_mask=i(0),
        new_axis_mask=i(0),
    )
    (got,) = b.run({"x": x}, "y")
    np.testing.assert_array_equal(got, x[index])


def test_shape_and_elementwise_ops_together():
    """Mean, Mul/Add/Sub, Relu6 (the hard-swish pattern), Sigmoid, LeakyRelu, ConcatV2,
    Reshape, ExpandDims, Transpose, Pad/PadV2, SplitV, GatherV2, Equal, Cast, Identity."""
    x = RNG.normal(size=(1, 4, 4, 6)).astype(np.float32) * 4
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("three", 3.0)
    b.const("sixth", 1 / 6)
    b.op("plus", "Add", "x", "three")
    b.op("r6", "Relu6", "plus")
    b.op("scaled", "Mul", "sixth", "x")
    b.op("hswish", "Mul", "scaled", "r6")
    b.const("axes", [1, 2], np.int32)
    b.op("mean", "Mean", "hswish", "axes", keep_dims={"b": True}, Tidx=typ(np.int32))
    b.op("sig", "Sigmoid", "mean")
    b.op("gated", "Mul", "hswish", "sig")
    b.op("leaky", "LeakyRelu", "x", alpha={"f": 0.1})
    b.op("diff", "Sub", "leaky", "gated")
    b.const("axis", -1, np.int32)
    b.op("cat", "ConcatV2", "gated", "diff", "axis", N=i(2))
    b.const("shape", [1, 16, 12], np.int32)
    b.op("flat", "Reshape", "cat", "shape")
    b.const("dim", 0, np.int32)
    b.op("expanded", "ExpandDims", "flat", "dim")
    b.const("perm", [0, 1, 3, 2], np.int32)
    b.op("tr", "Transpose", "expanded", "perm")
    b.const("pads", [[0, 0], [0, 0], [1, 2], [0, 1]], np.int32)
    b.op("padded", "Pad", "tr", "pads")
    b.const("fill", -1.0)
    b.op("padded2", "PadV2", "tr", "pads", "fill")
    b.const("sizes", [5, 10], np.int32)
    b.const("split_dim", 2, np.int32)
    b.op("parts", "SplitV", "padded2", "sizes", "split_dim", num_split=i(2))
    b.const("idx", [3, 0, 3], np.int32)
    b.const("gaxis", 3, np.int32)
    b.op("gathered", "GatherV2", "parts:1", "idx", "gaxis", batch_dims=i(0))
    b.op("eq", "Equal", "gathered", "gathered")
    b.op("ones", "Cast", "eq", DstT=typ(np.float32), SrcT=typ(np.bool_))
    b.op("out", "Identity", "ones")
    names = ("hswish", "mean", "cat", "tr", "padded", "padded2", "parts:0", "gathered", "out")
    got = dict(zip(names, b.run({"x": x}, *names), strict=True))

    hswish = x * np.clip(x + 3, 0, 6) / 6
    mean = hswish.mean(axis=(1, 2), keepdims=True)
    gated = hswish / (1 + np.exp(-mean))
    leaky = np.where(x > 0, x, 0.1 * x)
    cat = np.concatenate([gated, leaky - gated], axis=-1)
    tr = cat.reshape(1, 16, 12)[None].transpose(0, 1, 3, 2)
    pads = ((0, 0), (0, 0), (1, 2), (0, 1))
    padded2 = np.pad(tr, pads, constant_values=-1)
    gathered = padded2[:, :, 5:][..., [3, 0, 3]]
    tol = {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(got["hswish"], hswish, **tol)
    np.testing.assert_allclose(got["mean"], mean, **tol)
    np.testing.assert_allclose(got["cat"], cat, **tol)
    np.testing.assert_allclose(got["tr"], tr, **tol)
    np.testing.assert_allclose(got["padded"], np.pad(tr, pads), **tol)
    np.testing.assert_allclose(got["padded2"], padded2, **tol)
    np.testing.assert_allclose(got["parts:0"], padded2[:, :, :5], **tol)
    np.testing.assert_allclose(got["gathered"], gathered, **tol)
    np.testing.assert_array_equal(got["out"], np.ones_like(gathered))


def test_constant_subgraph_is_folded_into_a_reshape_target():
    """NanoDet's export builds reshape shapes with SparseToDense + AddV2 on int64
    constants (shipped as int32); they fold to plain constants at conversion."""
    x = RNG.normal(size=(1, 2, 3, 4)).astype(np.float32)
    b = Builder()
    b.placeholder("x", x.shape)
    b.const("base", [1, 12, 2], np.int64)
    b.const("where", np.zeros((0, 1)), np.int64)
    b.const("dense_shape", [3], np.int64)
    b.const("values", np.zeros(0), np.int64)
    b.const("default", 0, np.int64)
    b.op("delta", "SparseToDense", "where", "dense_shape", "values", "default")
    b.op("shape", "AddV2", "base", "delta")
    b.op("y", "Reshape", "x", "shape", Tshape=typ(np.int64))
    model = graph_to_onnx(b.graph("y"))
    assert {n.op_type for n in model.graph.node} == {"Identity", "Reshape"}
    (got,) = b.run({"x": x}, "y")
    np.testing.assert_array_equal(got, x.reshape(1, 12, 2))


def test_only_what_the_outputs_need_is_converted():
    b = Builder()
    b.placeholder("x", (1, 3))
    b.op("used", "Relu", "x")
    b.op("unused", "Softplus", "x")  # not covered, but nothing asked for it
    model = graph_to_onnx(b.graph("used"))
    assert [o.name for o in model.graph.output] == ["used"]
    (got,) = b.run({"x": np.array([[-1.0, 0.0, 2.0]], np.float32)}, "used")
    np.testing.assert_array_equal(got, [[0.0, 0.0, 2.0]])
    with pytest.raises(UnsupportedModelError, match="no tensor"):
        graph_to_onnx(b.graph("missing"))
