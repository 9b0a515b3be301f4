"""YAMNet's log-mel front end in numpy (the model file starts at the patches).

Same recipe as Google's YAMNet features: 25 ms periodic-Hann frames every 10 ms, a 512-point
FFT magnitude, 64 mel bands (HTK scale) over 125-7500 Hz built as TensorFlow's
linear_to_mel_weight_matrix does, then log(mel + 0.001). A 0.96 s patch is 96 frames.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE = 16_000
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms
FFT = 512
MEL_BANDS = 64
MEL_LOW_HZ = 125.0
MEL_HIGH_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96
# Samples one patch needs: the last frame starts 95 hops in and is 400 samples long.
PATCH_SAMPLES = WINDOW + (PATCH_FRAMES - 1) * HOP
_GROUP = 60


def _hz_to_mel(hz: NDArray[Any]) -> NDArray[np.float64]:
    mel: NDArray[np.float64] = 1127.0 * np.log1p(hz / 700.0)
    return mel


@cache
def mel_matrix() -> NDArray[np.float32]:
    """[257, 64] weights; the DC bin gets none (as in TensorFlow)."""
    bins = FFT // 2 + 1
    bin_mel = _hz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2, bins))[1:]
    edges = np.linspace(
        _hz_to_mel(np.array(MEL_LOW_HZ)), _hz_to_mel(np.array(MEL_HIGH_HZ)), MEL_BANDS + 2
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lower) / (center - lower)
    falling = (upper - bin_mel[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.vstack([np.zeros((1, MEL_BANDS)), weights]).astype(np.float32)


@cache
def _window() -> NDArray[np.float32]:
    n = np.arange(WINDOW)
    hann: NDArray[np.float32] = (0.5 - 0.5 * np.cos(2 * np.pi * n / WINDOW)).astype(np.float32)
    return hann  # periodic, as TensorFlow's stft uses


def log_mel(samples: NDArray[Any]) -> NDArray[Any]:
    """[frames, 64] stabilised log-mel spectrogram of 16 kHz mono float samples."""
    if samples.size < WINDOW:
        samples = np.pad(samples, (0, WINDOW - samples.size))
    count = 1 + (samples.size - WINDOW) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP][:count]
    magnitude = np.abs(np.fft.rfft(frames * _window(), n=FFT, axis=1)).astype(np.float32)
    result: NDArray[Any] = np.log(magnitude @ mel_matrix() + LOG_OFFSET)
    return result


def patches(samples: NDArray[Any], hop_seconds: float = 1.0) -> NDArray[Any]:
    """[N, 1, 96, 64] patches, one every `hop_seconds` starting at 0.

    A tail too short for a whole patch is zero-padded when it holds at least half a
    patch of sound, and dropped otherwise (a few hundred ms say little).
    """
    hop = round(hop_seconds * SAMPLE_RATE)
    if hop <= 0 or hop % HOP:
        raise ValueError(f"the patch hop must be a positive multiple of {HOP / SAMPLE_RATE} s")
    starts = list(range(0, max(samples.size - PATCH_SAMPLES, -1) + 1, hop))
    tail = starts[-1] + hop if starts else 0
    if samples.size - tail >= PATCH_SAMPLES // 2:
        starts.append(tail)
    if not starts:
        return np.zeros((0, 1, PATCH_FRAMES, MEL_BANDS), dtype=np.float32)
    needed = starts[-1] + PATCH_SAMPLES
    if samples.size < needed:
        samples = np.pad(samples, (0, needed - samples.size))
    samples = samples.astype(np.float32, copy=False)
    out: NDArray[np.float32] = np.empty((len(starts), 1, PATCH_FRAMES, MEL_BANDS), np.float32)
    # A minute of windows at a time: the FFT of a whole 10-minute block would hold ~250 MB.
    for first in range(0, len(starts), _GROUP):
        group = starts[first : first + _GROUP]
        spec = log_mel(samples[group[0] : group[-1] + PATCH_SAMPLES])
        for i, start in enumerate(group):
            frame = (start - group[0]) // HOP
            out[first + i, 0] = spec[frame : frame + PATCH_FRAMES]
    return out
