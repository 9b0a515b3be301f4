"""Real sound for the audio tests: espeak-ng speech, plucked-string music, and clips that
carry them under a still photo, muxed with PyAV."""

from __future__ import annotations

import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data

Samples = NDArray[np.float32]

# espeak-ng's US voice at 150 words a minute; tiny.en reads this sentence word for word.
COMMENTARY = "He scores a goal! The referee blows the whistle."


def espeak(text: str, tmp_path: Path) -> tuple[Samples, int]:
    """Speech from espeak-ng as float samples and their rate; skips without espeak-ng."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    out = tmp_path / "speech.wav"
    subprocess.run([binary, "-v", "en-us", "-s", "150", "-w", str(out), text], check=True)
    with wave.open(str(out)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0), rate


def plucked_chords(seconds: float, rate: int, seed: int = 0) -> Samples:
    """A strummed G-C-Am-F progression, Karplus-Strong plucked strings, two strums a second."""
    rng = np.random.default_rng(seed)
    chords = [(196.0, 246.9, 293.7, 392.0), (261.6, 329.6, 392.0, 523.3)]
    chords += [(220.0, 261.6, 329.6, 440.0), (174.6, 220.0, 261.6, 349.2)]
    total = round(seconds * rate)
    out = np.zeros(total)
    for strum in range(int(seconds * 2)):
        begin = strum * rate // 2
        for string, freq in enumerate(chords[(strum // 4) % 4]):
            note = _pluck(freq, rate // 2, rate, rng)
            at = begin + string * rate // 80
            out[at : at + note.size] += note[: max(0, total - at)]
    return (0.8 * out / np.abs(out).max()).astype(np.float32)


def _pluck(freq: float, length: int, rate: int, rng: np.random.Generator) -> NDArray[np.float64]:
    period = round(rate / freq)
    ring = rng.uniform(-1, 1, period)
    out = np.empty(length)
    for i in range(length):
        j = i % period
        out[i] = ring[j]
        ring[j] = 0.996 * 0.5 * (ring[j] + ring[(j + 1) % period])
    return out


def place(sound: Samples, at_s: float, seconds: float, rate: int) -> Samples:
    """`sound` starting at `at_s` in `seconds` of silence."""
    track = np.zeros(round(seconds * rate), dtype=np.float32)
    start = round(at_s * rate)
    piece = sound[: track.size - start]
    track[start : start + piece.size] = piece
    return track


def make_clip(
    path: Path,
    seconds: float,
    audio: Samples | None = None,
    rate: int = 16_000,
    channels: int = 1,
    audio_starts_s: float = 0.0,
) -> Path:
    """An H.264 MP4 of the astronaut photo at 5 fps with an AAC track of `audio` (if any),
    whose first sample is stamped `audio_starts_s` after the first picture."""
    picture = data.astronaut()[::4, ::4]  # 128x128 RGB
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=5)
        video.width, video.height, video.pix_fmt = 128, 128, "yuv420p"
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=rate)
            sound.layout = "stereo" if channels == 2 else "mono"
        for _ in range(round(seconds * 5)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None and audio is not None:
            planar = np.repeat(audio[None, :], channels, axis=0).astype(np.float32)
            for begin in range(0, planar.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planar[:, begin : begin + 1024]),
                    format="fltp",
                    layout=sound.layout.name,
                )
                frame.sample_rate = rate
                frame.time_base = Fraction(1, rate)
                frame.pts = begin + round(audio_starts_s * rate)
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path
