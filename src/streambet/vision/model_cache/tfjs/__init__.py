"""A small TF.js graph-model -> ONNX converter (no TensorFlow), covering the ops of the
detectors StreamBet ships."""

from streambet.vision.model_cache.tfjs.convert import convert_file, graph_to_onnx
from streambet.vision.model_cache.tfjs.errors import UnsupportedModelError
from streambet.vision.model_cache.tfjs.graph import load_graph

__all__ = ["UnsupportedModelError", "convert_file", "graph_to_onnx", "load_graph"]
