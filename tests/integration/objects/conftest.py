"""The object model cache and the real photos the detector is measured on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from streambet.config import load_settings
from streambet.vision.model_cache.objects import (
    ObjectModelUnavailableError,
    ensure_object_model,
    prepare_object_models,
)


@pytest.fixture(scope="session")
def object_model_dir() -> Path:
    """The configured model cache (what `make models` fills), prepared if needed."""
    model_dir = load_settings().resolved_model_dir
    try:
        ensure_object_model(model_dir)
    except ObjectModelUnavailableError:
        unavailable = [line for line in prepare_object_models(model_dir) if "UNAVAILABLE" in line]
        if unavailable:
            pytest.skip(unavailable[0])
    return model_dir


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


def _china() -> np.ndarray:
    sklearn = pytest.importorskip("sklearn.datasets")
    return np.asarray(sklearn.load_sample_image("china.jpg"))


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        image = getattr(data, name)()
        # stereo_motorcycle is (left, right, disparity): take the left view
        return np.asarray(image[0] if name == "stereo_motorcycle" else image)

    return load


PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": _skimage("astronaut"),
    "chelsea": _skimage("chelsea"),
    "coffee": _skimage("coffee"),
    "rocket": _skimage("rocket"),
    "motorcycle": _skimage("stereo_motorcycle"),
    "grace_hopper": _grace_hopper,
    "china": _china,
}


@pytest.fixture(scope="session")
def photo() -> Callable[[str], np.ndarray]:
    def load(name: str) -> np.ndarray:
        image = PHOTOS[name]()
        assert image.dtype == np.uint8 and image.ndim == 3
        return np.ascontiguousarray(image[..., :3])

    return load
