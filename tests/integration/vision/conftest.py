from __future__ import annotations

from pathlib import Path

import pytest

from streambet.vision.backends.local.engine import LocalEngine
from tests.support.clips import make_clip


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> LocalEngine:
    return LocalEngine(model_dir=model_dir)


@pytest.fixture(scope="session")
def four_photo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """coffee 0-3 s, the cat 3-6 s, the astronaut 6-9 s, the rocket 9-12 s."""
    path = tmp_path_factory.mktemp("clips") / "four.mp4"
    return make_clip(path, [("coffee", 3), ("chelsea", 3), ("astronaut", 3), ("rocket", 3)], fps=10)
