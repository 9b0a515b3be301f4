"""compare_timelines on hand-built timelines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streambet.timeline import LabelInfo, LabelSample, Timeline, VideoMetadata
from streambet.vision.outputs.agreement import compare_timelines


def timeline(
    engine: str,
    seen: dict[str, list[tuple[int, float]]],
    *,
    interval: int = 500,
    until: int = 10_000,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> Timeline:
    samples = [LabelSample(t, name, conf, conf) for name, hits in seen.items() for t, conf in hits]
    labels = {n: LabelInfo(n, aliases=a) for n, a in (aliases or {}).items()}
    return Timeline(
        video=VideoMetadata("h264", until, "mp4", 25.0, 640, 360),
        model_version="t",
        sample_interval_ms=interval,
        analysed_until_ms=until,
        samples=sorted(samples, key=lambda s: s.timestamp_ms),
        labels=labels,
        engine=engine,
    )


def run(t0: int, t1: int, conf: float = 90.0, step: int = 500) -> list[tuple[int, float]]:
    return [(t, conf) for t in range(t0, t1, step)]


def test_identical_timelines_agree_everywhere() -> None:
    a = timeline("local", {"Dog": run(1000, 3000)})
    b = timeline("rekognition", {"Dog": run(1000, 3000)})
    report = compare_timelines(a, b)
    dog = report.labels["Dog"]
    assert dog.verdict == "agree" and dog.score == 1.0
    assert dog.agreed == ((1000, 3000),)
    assert report.disagreements == []


def test_partial_overlap_splits_time_into_agreed_and_one_sided() -> None:
    a = timeline("local", {"Dog": run(1000, 3000)})
    b = timeline("rekognition", {"Dog": run(2000, 5000)})
    dog = compare_timelines(a, b, tolerance_ms=0).labels["Dog"]
    assert dog.verdict == "partial"
    assert dog.agreed == ((2000, 3000),)
    assert dog.only_a == ((1000, 2000),)
    assert dog.only_b == ((3000, 5000),)
    assert dog.score == 1000 / 4000


def test_tolerance_absorbs_small_timing_offsets() -> None:
    a = timeline("local", {"Car": run(1000, 2000)})
    b = timeline("rekognition", {"Car": run(1200, 2200, step=500)}, interval=500)
    strict = compare_timelines(a, b, tolerance_ms=0).labels["Car"]
    lenient = compare_timelines(a, b).labels["Car"]  # default: one sample interval
    assert strict.verdict == "partial"
    assert lenient.verdict == "agree"


def test_labels_seen_by_one_engine_only_and_confidence_floor() -> None:
    a = timeline("local", {"Dog": run(0, 1000), "Cat": run(0, 1000, conf=40.0)})
    b = timeline("rekognition", {"Ball": run(5000, 6000)})
    report = compare_timelines(a, b, min_confidence=50.0)
    assert set(report.labels) == {"Dog", "Ball"}  # Cat is under the floor
    assert report.labels["Dog"].verdict == "only_a"
    assert report.labels["Ball"].verdict == "only_b"
    assert sorted(report.disagreements) == ["Ball", "Dog"]


def test_names_match_case_insensitively_and_through_aliases() -> None:
    a = timeline("local", {"human": run(0, 2000), "dog": run(0, 1000)})
    b = timeline(
        "rekognition",
        {"Person": run(0, 2000), "Dog": run(0, 1000)},
        aliases={"Person": ("Human",)},
    )
    report = compare_timelines(a, b)
    assert set(report.labels) == {"human", "dog"}
    assert report.labels["human"].names_b == ("Person",)
    assert report.labels["human"].verdict == "agree"
    assert report.get("Person") is report.labels["human"]


def test_only_the_stretch_both_analysed_is_compared() -> None:
    a = timeline("local", {"Dog": run(0, 8000)}, until=8000)
    b = timeline("rekognition", {"Dog": run(0, 4000)}, until=4000)
    report = compare_timelines(a, b)
    assert report.compared_until_ms == 4000
    assert report.labels["Dog"].verdict == "agree"  # after 4 s nobody can disagree
    assert report.agrees_on("Dog", 5000, 6000) is None  # b never looked there


def test_agrees_on_a_window_for_settlement() -> None:
    a = timeline("local", {"Dog": run(1000, 2000), "Car": run(6000, 7000)})
    b = timeline("rekognition", {"Dog": run(1000, 2000)})
    report = compare_timelines(a, b, tolerance_ms=0)
    assert report.agrees_on("Dog", 0, 3000) is True  # both present
    assert report.agrees_on("Dog", 4000, 9000) is True  # both absent
    assert report.agrees_on("Car", 5000, 8000) is False  # only one engine saw it
    assert report.agrees_on("Zebra", 0, 10_000) is True  # neither saw it
    assert report.to_dict()["labels"]["Car"]["verdict"] == "only_a"


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.integers(0, 39), max_size=40),
    st.sets(st.integers(0, 39), max_size=40),
)
def test_with_no_tolerance_time_splits_exactly_into_agreed_and_one_sided(
    slots_a: set[int], slots_b: set[int]
) -> None:
    a = timeline("local", {"Dog": [(i * 500, 90.0) for i in slots_a]}, until=20_000)
    b = timeline("rekognition", {"Dog": [(i * 500, 90.0) for i in slots_b]}, until=20_000)
    dog = compare_timelines(a, b, tolerance_ms=0).labels.get("Dog")
    if not slots_a and not slots_b:
        assert dog is None
        return
    assert dog is not None

    def ms(spans: tuple[tuple[int, int], ...]) -> int:
        return sum(e - s for s, e in spans)

    assert ms(dog.agreed) == 500 * len(slots_a & slots_b)
    assert ms(dog.only_a) == 500 * len(slots_a - slots_b)
    assert ms(dog.only_b) == 500 * len(slots_b - slots_a)
