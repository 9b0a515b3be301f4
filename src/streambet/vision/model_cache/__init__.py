"""Model preparation (build time): packaged weights converted once into the model cache.

`streambet models prepare` (`prepare.prepare_all`) fills the cache ahead of time; the
pipeline's detectors call the `ensure_*` functions when they load, so a missing entry is
still filled lazily. The converters (TF.js graphs, legacy PyTorch pickles, EfficientNet as
ONNX) run here only, never per analysis, and need neither TensorFlow nor PyTorch.
"""
