"""The analysis-backend port: a Protocol, the options every backend honours, and an
explicit registry keyed by the STREAMBET_ANALYSIS_BACKEND setting.

Each registry entry names the backend's factory and its typed config: a frozen dataclass
whose fields marked with `setting(...)` say which of the app's settings fill them. Whoever
builds a backend (the app's adapters/engines.py) reads those settings and calls
`build_config`; vision itself never reads the app's settings. Heavy imports (onnxruntime,
boto3) live inside the backend modules, imported only when that backend is asked for, so
this module stays cheap to import.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from streambet.timeline import Timeline
from streambet.vision.control import CancelFlag, ProgressFn

# The registry's keys as a type, for settings that name a backend (a test keeps it equal
# to REGISTRY's keys).
BackendName = Literal["local", "rekognition", "fake"]
AggregateBy = Literal["TIMESTAMPS", "SEGMENTS"]
_SETTING = "streambet.setting"


@dataclass(frozen=True)
class Features:
    """Optional parts of the local engine's analysis; other backends ignore them."""

    pose: bool = True  # activities (Hands Raised, Running, ...) where people are seen
    audio: bool = True  # the sound track at all: sound events, and speech when on
    speech: bool = True  # speech to text, the sound track's costly part


@dataclass(frozen=True)
class ScriptedLabel:
    """For the fake engine: `name` is present from `start_ms` to `end_ms` inclusive."""

    name: str
    start_ms: int
    end_ms: int
    confidence: float = 90.0


@dataclass(frozen=True)
class AnalysisOptions:
    """What a caller may ask of any backend (Rekognition's StartLabelDetection knobs), the
    local engine's features, and the few per-analysis values a backend needs to know."""

    sample_fps: float = 2.0
    min_confidence: float = 50.0
    label_inclusion: tuple[str, ...] = ()
    label_exclusion: tuple[str, ...] = ()
    category_inclusion: tuple[str, ...] = ()
    category_exclusion: tuple[str, ...] = ()
    max_seconds: int = 6 * 3600
    max_pixels: int = 4096 * 2160
    features: Features = Features()
    # The caller's id for this analysis. Rekognition derives its idempotent
    # ClientRequestToken from it, so a retried job picks up the AWS job it started.
    job_id: str = ""
    job_tag: str = ""  # Rekognition's JobTag; empty: "streambet-<job_id>"
    aggregate_by: AggregateBy = "TIMESTAMPS"  # how Rekognition's pages are read
    rekognition_attempt: int = 0  # above 0: a fresh Rekognition job after a FAILED one
    rekognition_raw_path: Path | None = None  # where Rekognition's own pages are written
    fake_labels: tuple[ScriptedLabel, ...] = ()  # the fake engine's script (tests only)
    fake_sleep_ms: int = 0  # the fake engine's pause after each sample


class AnalysisBackend(Protocol):
    name: str

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline: ...


@dataclass(frozen=True)
class BackendEntry:
    factory: str  # "module:callable", called with the backend's config
    config: str  # "module:class", the backend's config dataclass


# setting value -> entry. Explicit, so the set of engines is visible in one place.
REGISTRY: dict[str, BackendEntry] = {
    "local": BackendEntry(
        "streambet.vision.backends.local.engine:LocalEngine.from_config",
        "streambet.vision.backends.local.config:LocalConfig",
    ),
    "rekognition": BackendEntry(
        "streambet.vision.backends.rekognition.engine:RekognitionEngine",
        "streambet.vision.backends.rekognition.config:RekognitionConfig",
    ),
    "fake": BackendEntry(
        "streambet.vision.backends.fake:FakeEngine",
        "streambet.vision.backends.fake:FakeConfig",
    ),
}


def setting(name: str, default: Any = dataclasses.MISSING) -> Any:
    """A config field filled from the app's setting `name`: "section.field" for a
    backend's own settings ("rekognition.region"), a bare name for shared ones."""
    return field(default=default, metadata={_SETTING: name})


def settings_of(config_class: type) -> dict[str, str]:
    """Config field -> the app setting that fills it."""
    return {
        f.name: f.metadata[_SETTING]
        for f in dataclasses.fields(config_class)
        if _SETTING in f.metadata
    }


def _entry(name: str) -> BackendEntry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown analysis backend {name!r}; known: {sorted(REGISTRY)}") from None


def _resolve(target: str) -> Any:
    module_name, _, path = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for attr in path.split("."):
        found = getattr(found, attr)
    return found


def config_class(name: str) -> type:
    found: type = _resolve(_entry(name).config)
    return found


def build_config(name: str, lookup: Callable[[str], Any]) -> Any:
    """Backend `name`'s config, each marked field read through `lookup(setting name)`."""
    cls = config_class(name)
    return cls(**{key: lookup(setting) for key, setting in settings_of(cls).items()})


def load_backend(name: str, config: Any) -> AnalysisBackend:
    """A new backend `name` built from its config (see `build_config`)."""
    expected = config_class(name)
    if not isinstance(config, expected):
        raise TypeError(f"the {name!r} backend takes a {expected.__name__}, not {config!r}")
    backend: AnalysisBackend = _resolve(_entry(name).factory)(config)
    return backend


__all__ = [
    "REGISTRY",
    "AggregateBy",
    "AnalysisBackend",
    "AnalysisOptions",
    "BackendEntry",
    "BackendName",
    "CancelFlag",
    "Features",
    "ProgressFn",
    "ScriptedLabel",
    "build_config",
    "config_class",
    "load_backend",
    "setting",
    "settings_of",
]
