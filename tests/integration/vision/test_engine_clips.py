"""The local engine on real footage: clips of packaged photos with known content."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import pytest

from streambet.services.demo_footage import fit
from streambet.timeline import Timeline
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.taxonomy import get_taxonomy
from tests.support.clips import make_clip, photo

pytestmark = pytest.mark.slow
CUTS_MS = (3000, 6000, 9000)


@pytest.fixture(scope="module")
def timeline(engine: LocalEngine, four_photo_clip: Path) -> Timeline:
    return engine.analyze(four_photo_clip, AnalysisOptions(min_confidence=0))


def _in(ms: int, start: int, end: int) -> bool:
    return start <= ms < end


def test_person_found_in_the_astronaut_stretch_only(timeline: Timeline) -> None:
    people = timeline.samples_of("Person")
    inside = [s for s in people if _in(s.timestamp_ms, 6000, 9000) and s.confidence >= 80]
    assert len(inside) >= 4
    assert all(s.instances for s in inside)
    box = inside[0].instances[0].box
    assert 0 <= box.left < box.left + box.width <= 1 and 0 <= box.top < 1
    outside = [s for s in people if not _in(s.timestamp_ms, 6000, 9000) and s.confidence >= 80]
    assert outside == []


def test_cat_found_as_cat_and_animal(timeline: Timeline) -> None:
    """Found, at least for a person's review: from the classifier alone an animal family
    label reaches 80 only above 99.8% (data/calibration.json; on the evaluation set it
    called an animated rabbit a dog at 99%), and this 3 s cat is too short to persist."""
    for name in ("Cat", "Animal"):
        hits = [s for s in timeline.samples_of(name) if _in(s.timestamp_ms, 3000, 6000)]
        assert len(hits) >= 4, name
        assert max(s.confidence for s in hits) >= 50, name
    tax = get_taxonomy()
    breeds = {s.name for s in timeline.samples if _in(s.timestamp_ms, 3000, 6000)}
    assert any(tax.is_a(b, "Cat") and b != "Cat" for b in breeds)
    assert timeline.labels["Cat"].parents[-1] == "Animal"
    # the cat is not seen in the coffee or the rocket
    assert not [
        s for s in timeline.samples_of("Cat") if s.timestamp_ms >= 9000 and s.confidence >= 50
    ]


def test_coffee_found(timeline: Timeline) -> None:
    """A fine-grained class the classifier alone sees stays below 80 until it has
    persisted about 3 s (calibration.py): a market on it goes to a person's review."""
    hits = [s for s in timeline.samples_of("Espresso") if _in(s.timestamp_ms, 0, 3000)]
    assert hits and 50 <= max(s.confidence for s in hits) < 80
    assert hits[0].timestamp_ms == 0  # backfilled to when it was first seen


def test_shot_boundaries_within_half_a_second_of_the_cuts(timeline: Timeline) -> None:
    shots = [s for s in timeline.shots if s.kind == "SHOT"]
    starts = [s.start_ms for s in shots]
    assert len(starts) == len(CUTS_MS) + 1 and starts[0] == 0
    for found, cut in zip(starts[1:], CUTS_MS, strict=True):
        assert abs(found - cut) <= 500
    assert shots[-1].end_ms == timeline.analysed_until_ms == 12000


def test_metadata_and_coverage(timeline: Timeline) -> None:
    v = timeline.video
    assert (v.codec, v.frame_width, v.frame_height, v.frame_rate) == ("h264", 640, 360, 10.0)
    assert v.duration_ms == 12000
    assert timeline.sample_interval_ms == 500
    assert timeline.skipped_packets == 0
    times = sorted({s.timestamp_ms for s in timeline.samples})
    assert times[0] == 0 and times[-1] == 11500


def test_progress_is_monotonic_and_ends_at_one(engine: LocalEngine, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "p.mp4", [("coffee", 2), ("rocket", 2)], fps=10)
    seen: list[float] = []
    engine.analyze(clip, AnalysisOptions(), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2


def test_cancel_flag_stops_the_analysis(engine: LocalEngine, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", [("coffee", 4)], fps=10)
    flag = threading.Event()

    def progress(done: float) -> None:
        if done > 0.2:
            flag.set()

    with pytest.raises(AnalysisCanceled):
        engine.analyze(clip, AnalysisOptions(), progress=progress, cancel=flag)


def test_on_screen_text_is_read_with_where_and_when(engine: LocalEngine, tmp_path: Path) -> None:
    board = fit(photo("chelsea"), (640, 360)).copy()
    cv2.rectangle(board, (10, 10), (250, 60), (0, 0, 0), -1)
    cv2.putText(board, "MUN 2 - 1 LIV", (18, 47), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
    clip = make_clip(tmp_path / "t.mp4", [("coffee", 2), (board, 2)], fps=10)
    timeline = engine.analyze(clip, AnalysisOptions())
    texts = [t for t in timeline.texts if "MUN" in t.text]
    assert texts, timeline.texts
    first = texts[0]
    assert 2000 <= first.timestamp_ms < 4000 and first.confidence >= 80
    assert first.box is not None and first.box.left < 0.2 and first.box.top < 0.2
    assert any(s.name == "Text" for s in timeline.samples)


def test_filters_apply(engine: LocalEngine, four_photo_clip: Path) -> None:
    only_animals = engine.analyze(
        four_photo_clip, AnalysisOptions(category_inclusion=("Animals and Pets",))
    )
    assert only_animals.samples
    assert all(
        "Animals and Pets" in only_animals.info(s.name).categories for s in only_animals.samples
    )


def test_one_engine_serves_two_analyses_at_once(engine: LocalEngine, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "two.mp4", [("chelsea", 2), ("astronaut", 2)], fps=10)
    results: list[Timeline] = []
    threads = [
        threading.Thread(target=lambda: results.append(engine.analyze(clip, AnalysisOptions())))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == 2
    a, b = ([(s.timestamp_ms, s.name) for s in r.samples] for r in results)
    assert a == b and ("Cat" in {n for _, n in a}) and ("Person" in {n for _, n in a})


def test_black_frames_segment(engine: LocalEngine, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "black.mp4", [("coffee", 2), ("black", 1), ("rocket", 2)], fps=10)
    timeline = engine.analyze(clip, AnalysisOptions())
    black = [s for s in timeline.shots if s.kind == "BLACK_FRAMES"]
    assert len(black) == 1
    assert abs(black[0].start_ms - 2000) <= 200 and abs(black[0].end_ms - 3000) <= 200
    assert not [
        s for s in timeline.samples if _in(s.timestamp_ms, 2000, 3000) and s.name == "Espresso"
    ]


def test_a_clip_shorter_than_two_samples_still_gets_labels(
    engine: LocalEngine, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "short.mp4", [("coffee", 0.4)], fps=10)
    timeline = engine.analyze(clip, AnalysisOptions())
    assert [s.timestamp_ms for s in timeline.samples_of("Espresso")] == [0]
