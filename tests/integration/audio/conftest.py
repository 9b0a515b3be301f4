from __future__ import annotations

from pathlib import Path

import pytest

from streambet.vision.pipeline.audio import AudioAnalyzer


@pytest.fixture(scope="session")
def audio_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def analyzer(audio_model_dir: Path) -> AudioAnalyzer:
    """Both real models, loaded once for the module's tests."""
    return AudioAnalyzer(audio_model_dir)
