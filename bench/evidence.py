"""Cost of the evidence frames against decoding the whole clip once.

    .venv/bin/python bench/evidence.py [--seconds 120] [--frames 240] [--dense]

Builds a 1280x720 30 fps H.264 clip (the packaged photos, slowly zooming, a keyframe
every 2 s) under var/bench/, then in this run: a plain PyAV decode of every frame (the
baseline), and `extract_frames` for N times spread over the clip (or, with --dense, N
consecutive 500 ms samples, as a long label run gives). Prints wall time, ms per frame,
JPEG bytes per frame, the extraction/decode ratio and the load average (the CPU is
shared). Never passes or fails: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streambet.vision.pipeline.frames import extract_frames  # noqa: E402
from tests.support.clips import PHOTOS, make_clip  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args()
    path = ROOT / "var" / "bench" / f"evidence-{args.seconds}s.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shots = [(PHOTOS[i % len(PHOTOS)], 10.0) for i in range(max(1, args.seconds // 10))]
        make_clip(path, shots, fps=30, size=(1280, 720), motion=True, options={"g": "60"})

    t0 = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        decoded = sum(1 for _ in container.decode(stream))
    decode_s = time.perf_counter() - t0

    span = args.seconds * 1000
    if args.dense:
        times = [i * 500 for i in range(min(args.frames, span // 500))]
    else:
        times = [round(i * span / args.frames) for i in range(args.frames)]
    t0 = time.perf_counter()
    sizes = [len(jpeg) for _, jpeg in extract_frames(path, times)]
    extract_s = time.perf_counter() - t0

    print(f"clip: {args.seconds} s 1280x720 30 fps, {decoded} frames")
    print(f"baseline full decode: {decode_s:.2f} s")
    print(
        f"extract {len(sizes)} frames ({'dense' if args.dense else 'spread'}): {extract_s:.2f} s,"
        f" {1000 * extract_s / max(1, len(sizes)):.1f} ms/frame,"
        f" {sum(sizes) / max(1, len(sizes)) / 1024:.1f} KiB/frame"
    )
    print(f"extraction / full decode: {extract_s / decode_s:.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
