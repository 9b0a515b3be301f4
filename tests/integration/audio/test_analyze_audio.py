"""The whole sound pipeline on real clips: PyAV decode, YAMNet events, Whisper word times."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from streambet.timeline import LabelSample, Timeline, TranscriptWord, VideoMetadata
from streambet.vision.errors import AnalysisCanceled, NotAVideo
from streambet.vision.pipeline.audio import AudioAnalyzer
from tests.integration.audio.sounds import (
    COMMENTARY,
    espeak,
    make_clip,
    place,
    plucked_chords,
)

pytestmark = pytest.mark.slow

SPEECH_AT_S = 2.0
CLIP_S = 8.0


def _names_at(samples: list[LabelSample], timestamp_ms: int) -> set[str]:
    return {s.name for s in samples if s.timestamp_ms == timestamp_ms}


@pytest.fixture(scope="module")
def commentary_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """8 s of the photo; the commentary starts at 2.0 s, recorded at espeak's 22.05 kHz."""
    tmp = tmp_path_factory.mktemp("commentary")
    speech, rate = espeak(COMMENTARY, tmp)
    track = place(speech, SPEECH_AT_S, CLIP_S, rate)
    return make_clip(tmp / "commentary.mp4", CLIP_S, track, rate), speech.size / rate


def test_commentary_words_come_with_their_times(
    analyzer: AudioAnalyzer, commentary_clip: tuple[Path, float]
) -> None:
    path, speech_s = commentary_clip
    seen: list[float] = []

    result = analyzer.analyze(path, progress=seen.append)

    words = [w.word.lower() for w in result.words]
    assert [w for w in words if w in {"scores", "goal", "referee", "whistle"}] == [
        "scores",
        "goal",
        "referee",
        "whistle",
    ], words
    speech_end_ms = round((SPEECH_AT_S + speech_s) * 1000)
    for w in result.words:  # inside the spoken stretch, give or take Whisper's 0.25 s
        assert SPEECH_AT_S * 1000 - 250 <= w.start_ms <= w.end_ms <= speech_end_ms + 250, w
        assert 0 <= w.probability <= 100
    starts = [w.start_ms for w in result.words]
    assert starts == sorted(starts)
    goal = next(w for w in result.words if w.word.lower() == "goal")
    # espeak says "goal" 0.6-1.6 s into the sentence, so 2.6-3.6 s into the clip
    assert goal.start_ms >= 2500 and goal.end_ms <= 3800, goal
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert result.has_audio and abs(result.audio_ms - CLIP_S * 1000) < 100


def test_speech_label_covers_the_speech_and_only_it(
    analyzer: AudioAnalyzer, commentary_clip: tuple[Path, float]
) -> None:
    path, speech_s = commentary_clip

    result = analyzer.analyze(path)

    speech_windows = {s.timestamp_ms for s in result.samples if s.name == "Speech"}
    inside = set(range(2000, round((SPEECH_AT_S + speech_s) * 1000) - 500, 1000))
    assert inside <= speech_windows, speech_windows
    assert "Speech" not in _names_at(result.samples, 0)
    assert "Silence" in _names_at(result.samples, 0)
    assert all(s.source == "audio" and 50 <= s.confidence <= 100 for s in result.samples)
    assert result.labels["Speech"].categories == ("Sounds",)
    assert set(result.labels) == {s.name for s in result.samples}


def test_a_track_that_starts_late_keeps_video_time(analyzer: AudioAnalyzer, tmp_path: Path) -> None:
    """The sound is stamped 3 s after the first picture; its words are dated from the video."""
    speech, rate = espeak(COMMENTARY, tmp_path)
    path = make_clip(tmp_path / "late.mp4", 8.0, speech, rate, audio_starts_s=3.0)

    result = analyzer.analyze(path)

    goal = next(w for w in result.words if w.word.lower() == "goal")
    assert goal.start_ms >= 3500 and goal.end_ms <= 4800, goal  # 0.6-1.6 s into the speech
    assert min(w.start_ms for w in result.words) >= 2700
    assert "Speech" not in _names_at(result.samples, 1000)
    assert "Speech" in _names_at(result.samples, 4000)


def test_music_track_is_music_and_has_no_words(analyzer: AudioAnalyzer, tmp_path: Path) -> None:
    """Stereo 44.1 kHz plucked chords: resampled, downmixed, heard as music, not speech."""
    rate = 44_100
    path = make_clip(tmp_path / "music.mp4", 6.0, plucked_chords(6.0, rate), rate, channels=2)

    result = analyzer.analyze(path)

    music = [s for s in result.samples if s.name == "Music"]
    assert len(music) >= 4, result.samples
    assert all(s.name != "Speech" for s in result.samples)
    assert result.words == []


def test_noise_makes_no_words(analyzer: AudioAnalyzer, tmp_path: Path) -> None:
    """Whisper invents words in noise; the VAD in front of it must keep it from hearing any."""
    rng = np.random.default_rng(0)
    spectrum = np.fft.rfft(rng.normal(size=6 * 16_000))
    pink = np.fft.irfft(spectrum / np.sqrt(np.arange(1, spectrum.size + 1)))
    path = make_clip(
        tmp_path / "noise.mp4", 6.0, (0.5 * pink / np.abs(pink).max()).astype(np.float32)
    )

    result = analyzer.analyze(path)

    assert result.has_audio and result.words == []
    assert all(s.name != "Speech" for s in result.samples)


def test_a_clip_without_sound_gives_nothing(analyzer: AudioAnalyzer, tmp_path: Path) -> None:
    path = make_clip(tmp_path / "mute.mp4", 2.0)

    result = analyzer.analyze(path)

    assert not result.has_audio
    assert (result.samples, result.words, result.labels, result.audio_ms) == ([], [], {}, 0)


def test_cancel_stops_the_analysis(analyzer: AudioAnalyzer, tmp_path: Path) -> None:
    path = make_clip(tmp_path / "tone.mp4", 2.0, np.zeros(32_000, dtype=np.float32))
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(AnalysisCanceled):
        analyzer.analyze(path, cancel=cancel)


def test_a_file_that_is_not_a_video_is_refused(audio_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video at all")

    with pytest.raises(NotAVideo):
        AudioAnalyzer(audio_model_dir, speech=False).analyze(path)


def test_words_ride_along_in_the_timeline(
    analyzer: AudioAnalyzer, commentary_clip: tuple[Path, float]
) -> None:
    result = analyzer.analyze(commentary_clip[0])
    timeline = Timeline(
        video=VideoMetadata("h264", 8000, "mp4", 5.0, 128, 128),
        model_version="audio-test",
        sample_interval_ms=1000,
        samples=result.samples,
        labels=result.labels,
        words=result.words,
    )

    again = Timeline.from_dict(timeline.to_dict())

    assert again.words == result.words and again.samples == result.samples
    assert isinstance(again.words[0], TranscriptWord)
