"""A sound track fed chunk by chunk (AudioStream), with the real YAMNet: chunks of any size
give the windows one block gives, a gap starts a new grid, an overlap is trimmed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streambet.vision.pipeline.audio import AudioAnalyzer
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE
from tests.integration.audio.sounds import plucked_chords

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def events_only(audio_model_dir: Path) -> AudioAnalyzer:
    return AudioAnalyzer(audio_model_dir, speech=False)


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return plucked_chords(7.5, SAMPLE_RATE)


@pytest.mark.parametrize("chunk_s", [0.37, 1.0, 2.5])
def test_chunks_of_any_size_give_the_windows_one_block_gives(
    events_only: AudioAnalyzer, music: np.ndarray, chunk_s: float
) -> None:
    whole = events_only.stream(min_confidence=0)
    expected = whole.feed(music, 0).samples + whole.finish().samples

    stream = events_only.stream(min_confidence=0)
    step = round(chunk_s * SAMPLE_RATE)
    got = []
    for begin in range(0, music.size, step):
        got += stream.feed(music[begin : begin + step], begin * 1000 // SAMPLE_RATE).samples
        assert stream.events_until_ms <= stream.fed_until_ms
    got += stream.finish().samples

    assert got == expected
    assert sorted({s.timestamp_ms for s in got}) == list(
        range(0, 8000, 1000)
    )  # 7 s: half a window, padded
    assert max(s.confidence for s in got if s.name == "Music") >= 50
    assert stream.covered_until_ms == stream.fed_until_ms == 7500


def test_windows_are_scored_as_soon_as_they_are_in(
    events_only: AudioAnalyzer, music: np.ndarray
) -> None:
    stream = events_only.stream(min_confidence=0)

    first = stream.feed(music[: SAMPLE_RATE // 2], 0)  # half a window: nothing yet
    assert first.samples == [] and stream.events_until_ms == 0

    second = stream.feed(music[SAMPLE_RATE // 2 : 2 * SAMPLE_RATE], 500)

    assert {s.timestamp_ms for s in second.samples} == {0, 1000}
    assert stream.events_until_ms == 2000


def test_a_gap_starts_a_new_grid_and_an_overlap_is_trimmed(
    events_only: AudioAnalyzer, music: np.ndarray
) -> None:
    stream = events_only.stream(min_confidence=0)
    three = 3 * SAMPLE_RATE

    found = stream.feed(music[:three], 0).samples
    found += stream.feed(music[three : 2 * three], 10_250).samples  # 7.25 s of silence missed
    found += stream.feed(music[2 * three : 2 * three + SAMPLE_RATE], 12_750).samples  # 0.5 s back
    found += stream.finish().samples

    times = sorted({s.timestamp_ms for s in found})
    assert times == [0, 1000, 2000, 10_250, 11_250, 12_250, 13_250]
    assert stream.fed_until_ms == 13_750  # the overlapping half second was dropped
