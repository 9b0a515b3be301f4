"""The local engine's config: where the model cache is and which frame detectors run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from streambet.vision.backends import setting
from streambet.vision.pipeline.detectors import DEFAULT_DETECTORS


@dataclass(frozen=True)
class LocalConfig:
    model_dir: Path = setting("resolved_model_dir")  # noqa: RUF009 (a dataclasses.field)
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
