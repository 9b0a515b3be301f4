"""Video in, label timeline out. Knows nothing of HTTP, markets, databases or the app's
settings: `backends/` is the port and its backends, `pipeline/` the local engine's
runtime, `model_cache/` build-time model preparation, `outputs/` other shapes of the
timeline."""
