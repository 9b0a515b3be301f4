"""The numpy log-mel front end: filter bank shape, tone placement, patch framing."""

from __future__ import annotations

import numpy as np
import pytest

from streambet.vision.pipeline.audio import melspec


def _tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * melspec.SAMPLE_RATE)) / melspec.SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _band_centres_hz() -> np.ndarray:
    weights = melspec.mel_matrix()
    bin_hz = np.linspace(0, melspec.SAMPLE_RATE / 2, weights.shape[0])
    return bin_hz[np.argmax(weights, axis=0)]


def test_filter_bank_spans_125_to_7500_hz_in_rising_bands() -> None:
    weights = melspec.mel_matrix()

    assert weights.shape == (257, 64)
    assert not weights[0].any()  # no weight on DC
    centres = _band_centres_hz()
    assert np.all(np.diff(centres) > 0)
    assert 125 < centres[0] < 200 and 7000 < centres[-1] < 7500
    assert weights.min() >= 0 and weights.max() <= 1


@pytest.mark.parametrize("freq", [300.0, 1000.0, 4000.0])
def test_a_tone_lights_the_band_around_its_frequency(freq: float) -> None:
    spectrum = melspec.log_mel(_tone(freq, 0.5))

    loudest = int(np.argmax(spectrum.mean(axis=0)))

    centre = _band_centres_hz()[loudest]
    assert abs(centre - freq) / freq < 0.08, (loudest, centre)


def test_silence_sits_at_the_log_offset_and_frames_every_10_ms() -> None:
    spectrum = melspec.log_mel(np.zeros(16_000, dtype=np.float32))

    assert spectrum.shape == (1 + (16_000 - 400) // 160, 64)
    np.testing.assert_allclose(spectrum, np.log(melspec.LOG_OFFSET), rtol=1e-6)


@pytest.mark.parametrize(
    ("seconds", "count"),
    [(0.1, 0), (0.6, 1), (0.975, 1), (3.0, 3), (3.4, 3), (3.6, 4)],
)
def test_one_patch_a_second_and_a_tail_only_when_it_holds_enough(
    seconds: float, count: int
) -> None:
    out = melspec.patches(np.zeros(round(seconds * 16_000), dtype=np.float32))

    assert out.shape == (count, 1, 96, 64) and out.dtype == np.float32


def test_patches_are_the_spectrogram_a_second_apart() -> None:
    rng = np.random.default_rng(1)
    audio = rng.uniform(-0.5, 0.5, 3 * 16_000).astype(np.float32)

    out = melspec.patches(audio)

    spectrum = melspec.log_mel(audio)
    np.testing.assert_allclose(out[1, 0], spectrum[100:196], rtol=1e-5)
    np.testing.assert_allclose(out[2, 0], spectrum[200:296], rtol=1e-5)


def test_a_hop_off_the_10_ms_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple"):
        melspec.patches(np.zeros(32_000, dtype=np.float32), hop_seconds=0.505)


def test_patches_computed_a_minute_at_a_time_match_the_whole_spectrogram() -> None:
    rng = np.random.default_rng(2)
    audio = rng.uniform(-0.5, 0.5, 130 * 16_000).astype(np.float32)

    out = melspec.patches(audio)

    spectrum = melspec.log_mel(audio)
    assert out.shape == (130, 1, 96, 64)
    for i in (0, 59, 60, 61, 125, 129):
        np.testing.assert_allclose(out[i, 0], spectrum[i * 100 : i * 100 + 96], rtol=1e-5)
