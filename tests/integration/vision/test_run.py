"""The local engine's run object, fed the way a live stream will feed it: pictures one by
one, the sound track in small chunks, labels and words handed over as they are found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streambet.config import load_settings
from streambet.timeline import LabelSample, Timeline, TranscriptWord
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.backends.local.run import Coverage, LocalRun
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.audio import AudioAnalyzer
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE, decode_blocks
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from streambet.vision.pipeline.probe import probe_video
from tests.integration.audio.sounds import COMMENTARY, espeak, place
from tests.integration.vision.voiced_clips import make_voiced_clip, two_people
from tests.support.clips import photo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The configured model cache, every model prepared (skips where one cannot be)."""
    from streambet.vision.model_cache.prepare import prepare_all

    path = load_settings().resolved_model_dir
    missing = [line for line in prepare_all(path) if "UNAVAILABLE" in line]
    if missing:
        pytest.skip(missing[0])
    return path


@pytest.fixture(scope="module")
def picture_engine(model_dir: Path) -> LocalEngine:
    """Every frame detector but OCR (whose readings are tested on footage with text,
    test_text_on_footage.py): its thread may hold settled coverage back a little."""
    return LocalEngine(model_dir, detectors=("classifier", "faces", "objects"))


@pytest.fixture(scope="module")
def voiced_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two people for 4 s, then the coffee for 3 s; commentary from 1 s."""
    tmp = tmp_path_factory.mktemp("run-voiced")
    speech, rate = espeak(COMMENTARY, tmp)
    track = place(speech, 1.0, 7.0, rate)
    return make_voiced_clip(
        tmp / "v.mp4", [(two_people(), 4.0), (photo("coffee"), 3.0)], track, rate
    )


def _key(s: LabelSample) -> tuple[int, str, str]:
    return (s.timestamp_ms, s.name, s.source)


def _feed_pictures(run: LocalRun, clip: Path, after_each: object = None) -> DecodeStats:
    stats = DecodeStats()
    for frame in decode_frames(clip, sample_interval_ms=run.sample_interval_ms, stats=stats):
        run.feed(frame)
        if callable(after_each):
            after_each(frame.timestamp_ms)
    return stats


def test_frames_fed_one_by_one_give_the_timeline_analyze_gives(
    picture_engine: LocalEngine, four_photo_clip: Path
) -> None:
    options = AnalysisOptions(min_confidence=0)
    expected = picture_engine.analyze(four_photo_clip, options)

    run = picture_engine.start(options, probe_video(four_photo_clip))
    got = run.finish(_feed_pictures(run, four_photo_clip))

    assert got == expected
    assert {"Cat", "Person", "Espresso"} <= set(got.labels)


def test_labels_arrive_while_frames_are_fed_and_coverage_follows(
    picture_engine: LocalEngine, four_photo_clip: Path
) -> None:
    fed: list[int] = []  # frame times fed so far
    arrivals: list[tuple[int, list[LabelSample]]] = []  # (frames fed then, batch)
    coverage: list[Coverage] = []
    run = picture_engine.start(
        AnalysisOptions(),
        probe_video(four_photo_clip),
        on_labels=lambda b: arrivals.append((len(fed), b)),
    )

    def after(ms: int) -> None:
        fed.append(ms)
        coverage.append(run.coverage)

    stats = _feed_pictures(run, four_photo_clip, after)
    before_finish = len(arrivals)
    timeline = run.finish(stats)

    # The first labels come within the first second of the clip (ten frames), long
    # before its end.
    assert before_finish > 0 and arrivals[0][0] < 10 < len(fed)
    # Everything the timeline holds was handed over, once.
    streamed = sorted((s for _, batch in arrivals for s in batch), key=_key)
    assert streamed == sorted(timeline.samples, key=_key)
    # Coverage grows with what is fed; settled samples never run ahead of it.
    untils = [c.until_ms for c in coverage]
    assert untils == sorted(untils) and untils[-1] == timeline.analysed_until_ms == 12000
    assert all(c.from_ms == 0 and c.settled_ms <= c.until_ms for c in coverage)
    assert coverage[-1].settled_ms >= 11000  # nothing is held back for long
    with pytest.raises(RuntimeError, match="finished"):
        run.feed_audio(np.zeros(SAMPLE_RATE, np.float32), 0)


def test_a_run_that_keeps_nothing_hands_everything_to_the_callback(
    picture_engine: LocalEngine, four_photo_clip: Path
) -> None:
    kept = picture_engine.analyze(four_photo_clip, AnalysisOptions())
    handed: list[LabelSample] = []
    run = picture_engine.start(
        AnalysisOptions(), probe_video(four_photo_clip), on_labels=handed.extend, keep=False
    )

    timeline = run.finish(_feed_pictures(run, four_photo_clip))

    assert timeline.samples == [] and timeline.texts == []
    assert sorted(handed, key=_key) == sorted(kept.samples, key=_key)
    assert timeline.labels == kept.labels
    assert [s.kind for s in timeline.shots if s.kind == "SHOT"] == ["SHOT"]  # the current one
    assert timeline.analysed_until_ms == kept.analysed_until_ms


def test_sound_fed_in_small_chunks_is_analysed_as_it_comes(
    model_dir: Path, voiced_clip: Path
) -> None:
    engine = LocalEngine(model_dir, detectors=("classifier",))
    heard: list[tuple[int, LabelSample]] = []  # (sound fed until then, sample)
    words: list[tuple[int, TranscriptWord]] = []
    fed_ms = 0
    run = engine.start(
        AnalysisOptions(),
        probe_video(voiced_clip),
        on_labels=lambda b: heard.extend((fed_ms, s) for s in b if s.source == "audio"),
        on_words=lambda b: words.extend((fed_ms, w) for w in b),
        audio_block_seconds=4,
    )
    stats = _feed_pictures(run, voiced_clip)
    audio_until: list[int] = []
    # 0.37 s chunks: windows and blocks never line up with them
    chunk = round(0.37 * SAMPLE_RATE)
    sound = np.concatenate(list(decode_blocks(voiced_clip)))
    for begin in range(0, sound.size, chunk):
        fed_ms = begin * 1000 // SAMPLE_RATE
        run.feed_audio(sound[begin : begin + chunk], fed_ms)
        audio_until.append(run.coverage.audio_until_ms)
    while_fed = [w for _, w in words]
    run.end_audio()  # the track ends: its last block is read now, not at finish
    ended = (len(words), run.coverage.audio_until_ms)
    fed_ms = 10**9  # from here on: finish
    timeline = run.finish(stats)

    # Sound labels and the first block's words came while the sound was being fed.
    speech = [(at, s) for at, s in heard if s.name == "Speech"]
    assert speech and speech[0][0] < 3000
    assert while_fed and all(w.start_ms < 4000 for w in while_fed)
    assert audio_until == sorted(audio_until) and 4000 <= audio_until[-1] < 7000
    # The same as the sound track analysed in one go, with the same speech blocks.
    reference = AudioAnalyzer(model_dir, block_seconds=4).analyze(voiced_clip)
    assert [s for s in timeline.samples if s.source == "audio"] == reference.samples
    assert timeline.words == reference.words and "goal" in {w.word.lower() for w in timeline.words}
    assert timeline.speech_until_ms == reference.transcribed_ms >= 6900
    assert ended == (len(timeline.words), timeline.speech_until_ms)


def test_close_stops_a_run_and_its_threads(
    picture_engine: LocalEngine, four_photo_clip: Path
) -> None:
    import threading

    frames = decode_frames(four_photo_clip, sample_interval_ms=500, stats=DecodeStats())
    first, second = next(frames), next(frames)
    frames.close()
    with picture_engine.start(AnalysisOptions(), probe_video(four_photo_clip)) as run:
        run.feed(first)  # leaving the block closes the run without a result

    with pytest.raises(AnalysisCanceled):
        run.feed(second)
    assert not [t for t in threading.enumerate() if t.name.startswith("vision-")]


def test_the_timeline_of_a_stream_starts_where_its_pictures_start(
    picture_engine: LocalEngine, four_photo_clip: Path
) -> None:
    """A live stream's pictures carry its own clock: the run covers what it was fed."""
    offset = 3_600_000
    meta = probe_video(four_photo_clip)
    live = type(meta)(
        meta.codec, 0, meta.format, meta.frame_rate, meta.frame_width, meta.frame_height
    )
    run = picture_engine.start(AnalysisOptions(), live, keep=True)
    for frame in decode_frames(four_photo_clip, sample_interval_ms=500, stats=DecodeStats()):
        run.feed(type(frame)(frame.timestamp_ms + offset, frame.luma, frame.rgb))

    timeline: Timeline = run.finish()

    assert (timeline.analysed_from_ms, timeline.analysed_until_ms) == (offset, offset + 12000)
    assert min(s.timestamp_ms for s in timeline.samples) >= offset
    shots = [s for s in timeline.shots if s.kind == "SHOT"]
    assert shots[0].start_ms == offset and shots[-1].end_ms == offset + 12000
