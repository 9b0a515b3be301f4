"""Builds EfficientNet-Lite0 as an ONNX graph (onnx.helper) from the packaged .pth weights.

Lite0 is EfficientNet-B0 without squeeze-excite, with ReLU6, and a fixed stem (32) and head
(1280). The checkpoint follows the lukemelas layout (`_blocks.N._expand_conv`, ...), whose
convolutions use TensorFlow "SAME" padding (the extra pixel goes at the bottom/right), which
ONNX calls SAME_UPPER. Batch norms (eps 1e-3) are folded into the convolutions. Input:
`image` float32 N x 3 x 224 x 224 already normalised as (x - 127) / 128; output: `probs`,
the softmax over the 1000 ImageNet classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

BN_EPS = 1e-3
# Blocks that start a stage with stride 2 (stages 2, 3, 4 and 6 of B0's seven).
_STRIDE2_BLOCKS = {1, 3, 5, 11}
OPSET = 13


class _Builder:
    def __init__(self, weights: dict[str, NDArray[Any]]) -> None:
        self.w = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def const(self, name: str, value: NDArray[Any]) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def conv_bn(
        self, x: str, conv: str, bn: str, *, stride: int = 1, group: int = 1, relu6: bool = True
    ) -> str:
        weight = self.w[f"{conv}.weight"].astype(np.float32)
        gamma, beta = self.w[f"{bn}.weight"], self.w[f"{bn}.bias"]
        mean, var = self.w[f"{bn}.running_mean"], self.w[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var + BN_EPS)
        w_name = self.const(f"{conv}.w", (weight * scale[:, None, None, None]).astype(np.float32))
        b_name = self.const(f"{conv}.b", (beta - mean * scale).astype(np.float32))
        out = self._name(conv)
        k = weight.shape[-1]
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, w_name, b_name],
                [out],
                kernel_shape=[k, k],
                strides=[stride, stride],
                group=group,
                auto_pad="SAME_UPPER" if k > 1 else "NOTSET",
            )
        )
        if not relu6:
            return out
        clipped = self._name(f"{conv}_relu6")
        self.nodes.append(helper.make_node("Clip", [out, "zero", "six"], [clipped]))
        return clipped

    def block(self, x: str, i: int) -> str:
        p = f"_blocks.{i}"
        stride = 2 if i in _STRIDE2_BLOCKS else 1
        h = x
        if f"{p}._expand_conv.weight" in self.w:
            h = self.conv_bn(h, f"{p}._expand_conv", f"{p}._bn0")
        channels = self.w[f"{p}._depthwise_conv.weight"].shape[0]
        h = self.conv_bn(h, f"{p}._depthwise_conv", f"{p}._bn1", stride=stride, group=channels)
        h = self.conv_bn(h, f"{p}._project_conv", f"{p}._bn2", relu6=False)
        in_ch = (
            self.w[f"{p}._expand_conv.weight"].shape[1]
            if f"{p}._expand_conv.weight" in (self.w)
            else channels
        )
        out_ch = self.w[f"{p}._project_conv.weight"].shape[0]
        if stride == 1 and in_ch == out_ch:
            summed = self._name(f"{p}_add")
            self.nodes.append(helper.make_node("Add", [h, x], [summed]))
            return summed
        return h


def build_model(weights: dict[str, NDArray[Any]]) -> onnx.ModelProto:
    b = _Builder(weights)
    b.const("zero", np.array(0.0, np.float32))
    b.const("six", np.array(6.0, np.float32))
    h = b.conv_bn("image", "_conv_stem", "_bn0", stride=2)
    n_blocks = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    for i in range(n_blocks):
        h = b.block(h, i)
    h = b.conv_bn(h, "_conv_head", "_bn1")
    b.nodes.append(helper.make_node("Identity", [h], ["features"]))
    b.nodes.append(helper.make_node("GlobalAveragePool", [h], ["pooled"]))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], axis=1))
    b.const("fc.w", weights["_fc.weight"].astype(np.float32))
    b.const("fc.b", weights["_fc.bias"].astype(np.float32))
    b.nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], transB=1))
    b.nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1))
    graph = helper.make_graph(
        b.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 1000]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 1280, "h", "w"]),
        ],
        b.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
