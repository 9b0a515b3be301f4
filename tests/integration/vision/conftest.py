from __future__ import annotations

from pathlib import Path

import pytest

from streambet.config import load_settings
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.model_cache.objects import ObjectModelUnavailableError, ensure_object_model
from tests.support.clips import make_clip


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty model folder: the models that ship inside Python packages (the classifier,
    OCR, hands) still load; the object detector is absent."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The configured model cache (what `make models` fills) with the object detector in
    it, so engine-level assertions about objects test the object detector."""
    path = load_settings().resolved_model_dir
    try:
        ensure_object_model(path)
    except ObjectModelUnavailableError as exc:
        pytest.skip(str(exc))
    return path


@pytest.fixture(scope="session")
def engine(model_cache: Path) -> LocalEngine:
    return LocalEngine(model_dir=model_cache)


@pytest.fixture(scope="session")
def four_photo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """coffee 0-3 s, the cat 3-6 s, the astronaut 6-9 s, the rocket 9-12 s."""
    path = tmp_path_factory.mktemp("clips") / "four.mp4"
    return make_clip(path, [("coffee", 3), ("chelsea", 3), ("astronaut", 3), ("rocket", 3)], fps=10)
