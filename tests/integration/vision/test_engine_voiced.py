"""The whole engine on a real clip with a voice: two people (the astronaut beside Grace
Hopper) for 4 s, then the coffee cup for 3 s, with an espeak-ng commentary from 1 s.
Pictures, object boxes, sounds and words land in one Timeline and in both outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from streambet.config import load_settings
from streambet.timeline import Timeline
from streambet.vision.backends import AnalysisOptions, Features
from streambet.vision.backends.local.engine import LocalEngine
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.outputs import to_rekognition, to_seed
from tests.integration.audio.sounds import COMMENTARY, espeak, place
from tests.integration.vision.voiced_clips import make_voiced_clip, two_people
from tests.support.clips import photo

pytestmark = pytest.mark.slow
PEOPLE_MS, COFFEE_MS, CLIP_S, SPEECH_AT_S = (0, 4000), (4000, 7000), 7.0, 1.0


@pytest.fixture(scope="module")
def full_engine() -> LocalEngine:
    """The engine on the configured model cache (what `make models` fills), every model
    prepared; skips where npm or an audio package is missing."""
    from streambet.vision.model_cache.prepare import prepare_all

    model_dir = load_settings().resolved_model_dir
    missing = [line for line in prepare_all(model_dir) if "UNAVAILABLE" in line]
    if missing:
        pytest.skip(missing[0])
    return LocalEngine(model_dir)


@pytest.fixture(scope="module")
def voiced_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("voiced")
    speech, rate = espeak(COMMENTARY, tmp)
    track = place(speech, SPEECH_AT_S, CLIP_S, rate)
    scenes = [(two_people(), 4.0), (photo("coffee"), 3.0)]
    return make_voiced_clip(tmp / "voiced.mp4", scenes, track, rate)


@dataclass
class Run:
    timeline: Timeline
    progress: list[float]
    timings: dict[str, tuple[float, float, int]]


@pytest.fixture(scope="module")
def run(full_engine: LocalEngine, voiced_clip: Path) -> Run:
    progress: list[float] = []
    options = AnalysisOptions()  # everything: the defaults include speech and pose
    timeline = full_engine.analyze(voiced_clip, options, progress=progress.append)
    return Run(timeline, progress, dict(full_engine.timings))


def _within(ms: int, span: tuple[int, int]) -> bool:
    return span[0] <= ms < span[1]


def test_two_people_are_two_person_instances_not_four(run: Run) -> None:
    timeline = run.timeline
    people = [s for s in timeline.samples_of("Person") if _within(s.timestamp_ms, PEOPLE_MS)]
    faces = [s for s in timeline.samples_of("Face") if _within(s.timestamp_ms, PEOPLE_MS)]
    assert len(people) >= 6 and len(faces) >= 6
    for sample in people:
        # the COCO body boxes (whole figures, one in each half), not the face-derived ones
        boxes = sorted((i.box for i in sample.instances), key=lambda b: b.left)
        assert len(boxes) == 2, sample
        assert boxes[0].left + boxes[0].width < 0.5 < boxes[1].left
        assert all(b.height > 0.85 for b in boxes)
    assert all(len(s.instances) == 2 for s in faces)
    assert not [s for s in timeline.samples_of("Person") if _within(s.timestamp_ms, COFFEE_MS)]


def test_the_cup_is_detected_with_boxes_and_rolls_up(run: Run) -> None:
    timeline = run.timeline
    cups = [s for s in timeline.samples_of("Cup") if _within(s.timestamp_ms, COFFEE_MS)]
    assert len(cups) >= 4
    assert all(s.instances and s.source == "objects" for s in cups)
    assert "Kitchenware" in timeline.labels["Cup"].parents
    kitchenware = {s.timestamp_ms for s in timeline.samples_of("Kitchenware")}
    assert {s.timestamp_ms for s in cups} <= kitchenware
    assert not [s for s in timeline.samples_of("Cup") if _within(s.timestamp_ms, PEOPLE_MS)]


def test_the_commentary_is_heard_and_transcribed(run: Run) -> None:
    timeline = run.timeline
    speech = timeline.samples_of("Speech")
    assert speech and all(s.source == "audio" for s in speech)
    assert min(s.timestamp_ms for s in speech) >= SPEECH_AT_S * 1000 - 1000
    assert timeline.labels["Speech"].categories == ("Sounds",)
    words = [w.word.strip(" .,!").lower() for w in timeline.words]
    assert "goal" in words and "whistle" in words
    goal = timeline.words[words.index("goal")]
    assert SPEECH_AT_S * 1000 <= goal.start_ms < CLIP_S * 1000
    assert Timeline.from_dict(timeline.to_dict()).words == timeline.words
    # The whole sound track was transcribed, so "nobody said it" can be concluded.
    assert timeline.speech_until_ms >= timeline.video.duration_ms - 100


def test_everything_reaches_the_rekognition_and_seed_outputs(
    run: Run,
) -> None:
    timeline = run.timeline
    labels = to_rekognition(timeline)["Labels"]
    person = [e for e in labels if e["Label"]["Name"] == "Person"]
    assert person and max(len(e["Label"]["Instances"]) for e in person) == 2
    cup = [e for e in labels if e["Label"]["Name"] == "Cup"]
    assert cup and all(e["Label"]["Instances"] for e in cup)
    speech = [e for e in labels if e["Label"]["Name"] == "Speech"]
    assert speech and speech[0]["Label"]["Categories"] == [{"Name": "Sounds"}]
    seed = {e["label"]: e for e in to_seed(timeline, "job-1", betting_suggestion={})["labels"]}
    assert seed["Speech"]["category"] == "Sounds"
    assert seed["Person"]["category"] == "Person Description"
    assert seed["Cup"]["category"] == "Kitchen and Dining"


def test_progress_is_monotonic_across_frames_and_sound(run: Run) -> None:
    progress = run.progress
    assert progress == sorted(progress)
    assert progress[-1] == 1.0 and all(0 < p <= 1 for p in progress)
    assert len(progress) >= 10


def test_pose_runs_about_once_a_second_and_only_on_people(run: Run) -> None:
    _, _, calls = run.timings["pose"]
    assert 1 <= calls <= 5  # 4 s of people, plus the first sample


def test_speech_and_pose_can_be_left_out(full_engine: LocalEngine, voiced_clip: Path) -> None:
    options = AnalysisOptions(features=Features(speech=False, pose=False))

    timeline = full_engine.analyze(voiced_clip, options)

    assert timeline.words == []
    assert timeline.speech_until_ms == 0
    assert timeline.samples_of("Speech")  # the sound events still run
    assert "pose" not in full_engine.timings
    assert len(timeline.samples_of("Person")[0].instances) == 2


def test_cancel_stops_the_sound_track_too(full_engine: LocalEngine, voiced_clip: Path) -> None:
    cancel = threading.Event()

    with pytest.raises(AnalysisCanceled):
        full_engine.analyze(
            voiced_clip, AnalysisOptions(), cancel=cancel, on_labels=lambda _: cancel.set()
        )

    assert not [t for t in threading.enumerate() if t.name.startswith("vision-")]


def test_prepare_without_npm_says_so_and_goes_on(tmp_path: Path) -> None:
    """A machine without npm: the object detector is UNAVAILABLE, the rest is prepared."""
    code = (
        "import sys; from pathlib import Path;"
        " from streambet.vision.model_cache.prepare import prepare_all;"
        "print(*prepare_all(Path(sys.argv[1])), sep='\\n')"
    )
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    assert shutil.which("npm", path=env["PATH"]) is None
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert any(line.startswith("objects: UNAVAILABLE (npm is not installed") for line in lines)
    assert any(line.startswith("classifier: ") for line in lines)
    assert any(line.startswith("YAMNet") for line in lines)
