"""The accuracy bench's scoring rules (bench/eval/scoring.py) on hand-built truth and claims."""

from __future__ import annotations

import pytest

from bench.eval.scoring import (
    CORRECT,
    INCORRECT,
    UNKNOWN,
    Box,
    Claim,
    ClipTruth,
    Lineage,
    SpeechTruth,
    TextTruth,
    Window,
    detector_source,
    find,
    heard_words,
    judge,
    match_cuts,
    parse_truth,
    read_text,
    similarity,
)

LINEAGE = Lineage(
    parents={
        "Cat": ("Feline", "Mammal", "Animal"),
        "Tiger Cat": ("Cat", "Feline", "Mammal", "Animal"),
        "Feline": ("Mammal", "Animal"),
        "Mammal": ("Animal",),
        "Dog": ("Canine", "Mammal", "Animal"),
        "Husky": ("Dog", "Canine", "Mammal", "Animal"),
        "Bird": ("Animal",),
        "Candle": ("Household Item",),
        "Household Item": (),
        "Person": (),
        "Face": ("Head", "Person"),
        "Car": ("Vehicle",),
        "Taxicab": ("Car", "Vehicle"),
    },
    categories={
        "Bird": ("Animals and Pets",),
        "Dog": ("Animals and Pets",),
        "Husky": ("Animals and Pets",),
        "Cat": ("Animals and Pets",),
        "Car": ("Vehicles and Automotive",),
    },
)

CLIP = ClipTruth(
    id="c",
    file="c.mp4",
    duration_ms=10_000,
    present=(Window("Cat", 2000, 5000), Window("Candle", 0, 3000), Window("Person", 6000, 9000)),
    acceptable=(Window("Face", 6000, 9000),),
    absent=frozenset({"Dog", "Fireworks"}),
    closed=frozenset({"Animals and Pets"}),
)


def claim(label: str, t: int, conf: float = 90.0, source: str = "objects", **kw: object) -> Claim:
    return Claim(clip="c", label=label, source=source, confidence=conf, time_ms=t, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("label", "t", "verdict"),
    [
        ("Cat", 3000, CORRECT),  # in its window
        ("Cat", 6000, CORRECT),  # within the 1 s tolerance after the window
        ("Cat", 6001, INCORRECT),  # past the tolerance: outside the only Cat window
        ("Tiger Cat", 3000, CORRECT),  # more specific than the truth
        ("Animal", 3000, CORRECT),  # more general than the truth
        ("Mammal", 8000, UNKNOWN),  # a parent outside any window is not a wrong claim
        ("Household Item", 8000, UNKNOWN),
        ("Tiger Cat", 8000, INCORRECT),  # the cat's label family, but no cat then
        ("Dog", 3000, INCORRECT),  # listed absent, even while a mammal is there
        ("Husky", 3000, INCORRECT),  # under a listed-absent label
        ("Fireworks", 1000, INCORRECT),
        ("Bird", 3000, INCORRECT),  # closed category: every animal there is listed
        ("Car", 3000, UNKNOWN),  # nobody said anything about vehicles
        ("Face", 7000, CORRECT),  # acceptable windows support claims too
        ("Person", 7000, CORRECT),
        ("Person", 1000, INCORRECT),
    ],
)
def test_judge(label: str, t: int, verdict: str) -> None:
    assert judge(claim(label, t), CLIP, LINEAGE)[0] == verdict


def test_an_exact_window_beats_a_listed_absent_parent() -> None:
    clip = ClipTruth("c", "c.mp4", 1000, present=(Window("Husky", 0, 1000),))
    clip = ClipTruth("c", "c.mp4", 1000, present=clip.present, absent=frozenset({"Dog"}))
    assert judge(claim("Husky", 500), clip, LINEAGE)[0] == CORRECT
    assert judge(claim("Dog", 500), clip, LINEAGE)[0] == INCORRECT


def test_parse_truth_merges_defaults_and_whole_clip_windows() -> None:
    doc = {
        "defaults": {"absent": ["Fireworks", "Candle", "Bird"], "closed": ["Weapons"]},
        "clips": [
            {
                "id": "a",
                "file": "a.mp4",
                "duration_ms": 4000,
                "present": [{"label": "Candle"}],
                "acceptable": [{"label": "Cat", "start_ms": 1000, "end_ms": 2000}],
                "unsure": ["Bird"],
                "absent": ["Dog"],
                "closed": ["Animals and Pets"],
                "cuts_ms": [2000],
                "text": [{"text": "GOAL", "start_ms": 0, "end_ms": 1000}],
                "speech": [{"text": "hello there", "start_ms": 0, "end_ms": 900}],
            }
        ],
    }
    (clip,) = parse_truth(doc)
    assert clip.present == (Window("Candle", 0, 4000),)
    assert clip.acceptable == (Window("Cat", 1000, 2000),)
    assert clip.absent == frozenset({"Fireworks", "Dog"})  # Candle is there, Bird unsure
    assert clip.closed == frozenset({"Weapons", "Animals and Pets"})
    assert clip.cuts_ms == (2000,)
    assert clip.text == (TextTruth("GOAL", 0, 1000),)
    assert clip.speech == (SpeechTruth("hello there", 0, 900),)


def test_find_recall_thresholds_sources_and_coverage() -> None:
    claims = [
        claim("Tiger Cat", 2000, 85, "classifier:regions"),
        claim("Cat", 2500, 60, "objects"),
        claim("Cat", 3000, 55, "objects"),
        claim("Candle", 500, 40, "classifier:frame"),
        claim("Dog", 7000, 99),  # covers nothing
    ]
    found = {f.window.label: f for f in find(CLIP, claims, LINEAGE, interval_ms=500)}
    cat = found["Cat"]
    assert cat.found(50) and cat.found(80)
    assert cat.found(80, "classifier:regions") and not cat.found(80, "objects")
    assert cat.found(50, "objects")
    assert cat.coverage == pytest.approx(3 * 500 / 3000)  # 3 samples of a 3 s window
    assert not found["Candle"].found(50)  # 40 is below the floor
    assert found["Person"].best == 0.0


def test_find_box_iou() -> None:
    truth = ClipTruth(
        "c", "c.mp4", 1000, present=(Window("Car", 0, 1000, Box(0.5, 0.5, 0.4, 0.4)),)
    )
    near = claim("Car", 500, 70, boxes=(Box(0.0, 0.0, 0.1, 0.1), Box(0.55, 0.5, 0.4, 0.4)))
    (f,) = find(truth, [near], LINEAGE, 500)
    assert f.box_iou == pytest.approx(0.35 * 0.4 / (2 * 0.16 - 0.35 * 0.4))
    (f,) = find(truth, [claim("Car", 500, 70, boxes=(Box(0.0, 0.0, 0.2, 0.2),))], LINEAGE, 500)
    assert f.box_iou == 0.0


def test_match_cuts_is_one_to_one_within_tolerance() -> None:
    assert match_cuts([1000, 5000], [1100, 1200, 5700]) == (1, 2)  # 5700 is 700 ms off
    assert match_cuts([1000, 1400], [1200]) == (1, 0)  # one engine cut matches one truth cut
    assert match_cuts([], [300]) == (0, 1)
    assert match_cuts([2000], []) == (0, 0)


def test_text_similarity_finds_the_string_inside_a_longer_reading() -> None:
    assert similarity("AB 4. JULI IM KINO", "ab 4 juli im kino!") == 1.0
    assert similarity("TAXI", "GRAND TAXI CO") == 1.0
    assert similarity("TAXI", "TAX1") == pytest.approx(0.75)
    assert similarity("ANOKATO", "") == 0.0


def test_read_text_joins_one_timestamps_readings_and_keeps_to_the_window() -> None:
    wanted = TextTruth("ICH EINFACH", 13000, 15000)
    readings = [(14000, "ICH"), (14000, "EINFACH2"), (20000, "ICH EINFACH")]
    sim, reading = read_text(wanted, readings)
    assert sim == 1.0 and reading == "ICH EINFACH2"
    assert read_text(wanted, [(17000, "ICH EINFACH")])[0] == 0.0  # 2 s after the window


def test_heard_words_fuzzy_and_windowed() -> None:
    said = SpeechTruth("A white van is parked", 8000, 11000)
    words = [
        (8400, 8500, "right"),
        (8500, 8800, "man"),
        (8800, 9000, "is"),
        (9000, 9400, "parked."),
    ]
    assert heard_words(said, words) == (2, 5)
    assert heard_words(said, [(13000, 13500, "parked")]) == (0, 5)
    assert heard_words(SpeechTruth("towards", 0, 1000), [(0, 500, "toward")]) == (1, 1)


def test_detector_source_splits_the_classifier_views() -> None:
    whole, region = Box(0.0, 0.0, 1.0, 1.0), Box(0.0, 0.0, 0.45, 0.6)
    assert detector_source("classifier", [(whole, 80.0), (region, 60.0)]) == "classifier:frame"
    assert detector_source("classifier", [(whole, 50.0), (region, 60.0)]) == "classifier:regions"
    assert detector_source("objects", [(region, 60.0)]) == "objects"
