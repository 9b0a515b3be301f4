"""Model cache preparation (filled in by the local engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def prepare_all(model_dir: Path) -> Iterator[str]:
    model_dir.mkdir(parents=True, exist_ok=True)
    yield f"model cache: {model_dir}"
