"""Speed of the sound track (milliseconds per second of audio per stage) and of pose.

Builds a 60 s clip (plucked-string music under espeak-ng commentary every 10 s when
espeak-ng is installed), then times PyAV decoding (the same-run baseline), the YAMNet
front end + model, Whisper tiny.en with word times, and the whole analyze call. Prints
medians of a few runs and each stage's ratio to the decode baseline. Then MediaPipe
Pose milliseconds per frame on the astronaut photo at 512x512 and scaled to 1280x720.

    .venv/bin/python bench/audio.py [--seconds 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streambet.vision.model_cache.yamnet import class_names  # noqa: E402
from streambet.vision.pipeline.audio import AudioAnalyzer  # noqa: E402
from streambet.vision.pipeline.audio.decode import decode_blocks  # noqa: E402
from streambet.vision.pipeline.audio.events import LabelMap  # noqa: E402
from streambet.vision.pipeline.audio.melspec import patches  # noqa: E402
from streambet.vision.pipeline.audio.speech import Transcriber  # noqa: E402
from streambet.vision.pipeline.audio.yamnet import YamNet  # noqa: E402
from streambet.vision.pipeline.pose import PoseEstimator  # noqa: E402
from tests.integration.audio.sounds import espeak, make_clip, plucked_chords  # noqa: E402

RATE = 22_050
LINES = (
    "He scores a goal! The referee blows the whistle.",
    "The home team attacks down the left wing.",
    "A corner kick for the visitors, and it is cleared.",
    "What a save by the goalkeeper!",
    "The crowd is on its feet in the second half.",
    "Yellow card for the defender after a late tackle.",
)


def _track(seconds: float, tmp: Path) -> tuple[np.ndarray, str]:
    track = 0.3 * plucked_chords(seconds, RATE)
    if shutil.which("espeak-ng") is None:
        return track, "music only (espeak-ng not installed)"
    lines = [espeak(line, tmp) for line in LINES]
    for index, start in enumerate(np.arange(1.0, seconds - 5.0, 10.0)):
        speech, rate = lines[index % len(lines)]
        assert rate == RATE
        at = round(start * rate)
        track[at : at + speech.size] += 0.8 * speech
    return track, "music with a different commentary line every 10 s"


def _talk(seconds: float, tmp: Path) -> np.ndarray | None:
    """Commentary without a pause, resampled to 16 kHz: Whisper's worst case."""
    if shutil.which("espeak-ng") is None:
        return None
    lines = [espeak(line, tmp)[0] for line in LINES]
    joined = np.concatenate(lines * (int(seconds // 10) + 1))[: round(seconds * RATE)]
    at = np.arange(round(seconds * 16_000)) * RATE / 16_000
    return np.interp(at, np.arange(joined.size), joined).astype(np.float32)


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        track, content = _track(args.seconds, tmp)
        clip = make_clip(tmp / "bench.mp4", args.seconds, track.astype(np.float32), RATE)
        models = tmp / "models"
        yamnet, labels, whisper = YamNet(models), LabelMap(class_names()), Transcriber()
        analyzer = AudioAnalyzer(models)
        audio = np.concatenate(list(decode_blocks(clip)))
        seconds = audio.size / 16_000
        window_count = len(patches(audio))

        stages = {
            "decode (PyAV, baseline)": lambda: list(decode_blocks(clip)),
            "log-mel front end": lambda: patches(audio),
            "YAMNet front end + model": lambda: labels.scores(yamnet.scores(patches(audio))),
            "Whisper tiny.en + VAD, words": lambda: list(whisper.segments(audio)),
            "analyze (all of the above)": lambda: analyzer.analyze(clip),
        }
        talk = _talk(seconds, tmp)
        if talk is not None:
            stages["Whisper, speech throughout"] = lambda: list(whisper.segments(talk))
        figures = {name: _median_ms(fn, args.runs) for name, fn in stages.items()}

    baseline = figures["decode (PyAV, baseline)"]
    print(
        f"clip: {seconds:.1f} s, {content}; {window_count} YAMNet windows; "
        f"median of {args.runs} runs"
    )
    print(f"{'stage':32} {'ms total':>9} {'ms per s':>9} {'x real time':>12} {'/ decode':>9}")
    for name, ms in figures.items():
        print(
            f"{name:32} {ms:9.1f} {ms / seconds:9.2f} {seconds * 1000 / ms:12.1f} "
            f"{ms / baseline:9.2f}"
        )
    bench_pose(args.runs)


def bench_pose(runs: int) -> None:
    from PIL import Image
    from skimage import data

    photo = data.astronaut()
    wide = np.asarray(Image.fromarray(photo).resize((1280, 720)))
    estimator = PoseEstimator()
    estimator.estimate(photo)  # first call builds the graph
    print(f"{'MediaPipe Pose (full)':32} {'ms/frame':>9}")
    for name, rgb in (("512x512", photo), ("1280x720", wide)):
        ms = _median_ms(lambda rgb=rgb: estimator.estimate(rgb), max(runs, 5))
        print(f"{name:32} {ms:9.1f}")
    estimator.close()


if __name__ == "__main__":
    main()
