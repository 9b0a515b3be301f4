"""The analysis-backend port: a Protocol, the options every backend honours, and an
explicit registry keyed by the STREAMBET_ANALYSIS_BACKEND setting.

Heavy imports (onnxruntime, boto3) live inside the backend modules, which the registry
imports only when that backend is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from streambet.timeline import Timeline

ProgressFn = Callable[[float], None]  # fraction done, 0.0-1.0


class CancelFlag(Protocol):
    """threading.Event satisfies this."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class AnalysisOptions:
    """What a caller may ask of any backend (Rekognition's StartLabelDetection knobs)."""

    sample_fps: float = 2.0
    min_confidence: float = 50.0
    label_inclusion: tuple[str, ...] = ()
    label_exclusion: tuple[str, ...] = ()
    category_inclusion: tuple[str, ...] = ()
    category_exclusion: tuple[str, ...] = ()
    max_seconds: int = 6 * 3600
    max_pixels: int = 4096 * 2160
    extra: dict[str, Any] = field(default_factory=dict)


class AnalysisBackend(Protocol):
    name: str

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline: ...


# setting value -> "module:factory"; the factory takes the model directory and returns a
# backend. Explicit, so the set of engines is visible in one place.
REGISTRY: dict[str, str] = {
    "local": "streambet.vision.backends.local.engine:LocalEngine",
    "fake": "streambet.vision.backends.fake:FakeEngine",
    "rekognition": "streambet.vision.backends.rekognition.engine:RekognitionEngine",
}


def load_backend(name: str, **kwargs: Any) -> AnalysisBackend:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown analysis backend {name!r}; known: {sorted(REGISTRY)}") from None
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    backend: AnalysisBackend = factory(**kwargs)
    return backend
