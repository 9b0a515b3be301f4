"""Long sound tracks go through in blocks; the YAMNet file is unpacked into the cache once."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streambet.vision.model_cache.audio import AudioModelMissing
from streambet.vision.model_cache.prepare import prepare_audio_models as prepare_models
from streambet.vision.model_cache.whisper import model_path
from streambet.vision.model_cache.yamnet import CACHE_NAME, prepare
from streambet.vision.pipeline.audio import AudioAnalyzer
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE, decode_blocks
from tests.integration.audio.sounds import espeak, make_clip, place, plucked_chords

pytestmark = pytest.mark.slow


def test_blocks_are_whole_seconds_and_add_up(tmp_path: Path) -> None:
    rate = 44_100
    path = make_clip(tmp_path / "music.mp4", 7.5, plucked_chords(7.5, rate), rate, channels=2)

    blocks = list(decode_blocks(path, block_seconds=3))
    whole = np.concatenate(list(decode_blocks(path, block_seconds=600)))

    assert [b.size for b in blocks[:-1]] == [3 * SAMPLE_RATE, 3 * SAMPLE_RATE]
    assert abs(whole.size - 7.5 * SAMPLE_RATE) < 0.05 * SAMPLE_RATE
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    assert all(b.dtype == np.float32 for b in blocks) and 0.1 < np.abs(whole).max() <= 1.0
    capped = list(decode_blocks(path, block_seconds=3, max_seconds=4.0))
    assert sum(b.size for b in capped) == 4 * SAMPLE_RATE


def test_words_and_sounds_keep_video_time_across_blocks(
    audio_model_dir: Path, tmp_path: Path
) -> None:
    """Two sentences, one in each 6 s block: the second one's words land after 7 s."""
    first, rate = espeak("Kick off.", tmp_path)
    second, _ = espeak("He scores a goal!", tmp_path)
    track = place(first, 1.0, 12.0, rate) + place(second, 7.0, 12.0, rate)
    path = make_clip(tmp_path / "two.mp4", 12.0, track, rate)
    blocked = AudioAnalyzer(audio_model_dir, block_seconds=6)

    result = blocked.analyze(path)

    times = {w.word.lower(): w for w in result.words}
    assert {"kick", "off", "goal"} <= set(times), result.words
    assert times["kick"].start_ms < 3000 and times["goal"].start_ms >= 7000
    speech = sorted(s.timestamp_ms for s in result.samples if s.name == "Speech")
    assert 1000 in speech and 7000 in speech and 4000 not in speech, speech
    single = AudioAnalyzer(audio_model_dir, speech=False).analyze(path)
    assert single.samples == result.samples  # blocks of whole seconds change no window


def test_the_model_is_unpacked_once(tmp_path: Path) -> None:
    first = prepare(tmp_path)
    stamp = first.stat().st_mtime_ns

    again = prepare(tmp_path)

    assert again == first and again.stat().st_mtime_ns == stamp
    assert first.is_relative_to(tmp_path / CACHE_NAME)
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_NAME]  # no staging left behind


def test_prepare_models_names_both_models(tmp_path: Path) -> None:
    lines = list(prepare_models(tmp_path))

    assert lines[0].startswith("YAMNet") and str(tmp_path / CACHE_NAME) in lines[0]
    assert lines[1].startswith("Whisper") and lines[1].endswith("model")


def test_opus_in_webm_at_48_khz_decodes_to_16_khz(tmp_path: Path) -> None:
    import av

    rate, seconds = 48_000, 2.0
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(int(rate * seconds)) / rate)).astype(
        np.float32
    )
    path = tmp_path / "tone.webm"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libopus", rate=rate)
        stream.layout = "stereo"
        planar = np.repeat(tone[None, :], 2, axis=0)
        for begin in range(0, planar.shape[1], 960):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, begin : begin + 960]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    (block,) = list(decode_blocks(path))

    assert abs(block.size - seconds * SAMPLE_RATE) < 0.05 * SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(block[4000:12000]))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / 8000
    assert abs(peak_hz - 1000) <= 4  # the tone is still 1 kHz after resampling


@pytest.mark.parametrize(
    ("module", "load"),
    [
        ("streambet.vision.model_cache.yamnet", lambda tmp: prepare(tmp)),
        ("streambet.vision.model_cache.whisper", lambda tmp: model_path()),
    ],
)
def test_a_missing_model_package_says_which_and_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str, load: Any
) -> None:
    """The distribution lookup is real; only the name asked for does not exist."""
    monkeypatch.setattr(importlib.import_module(module), "PACKAGE", "no-such-model-package")

    with pytest.raises(AudioModelMissing, match=r"no-such-model-package.*make install"):
        load(tmp_path)

    assert list(tmp_path.iterdir()) == []
