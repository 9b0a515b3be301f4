"""ObjectTracker (norfair underneath) on hand-made hits: ids, weak hits, coasting."""

from __future__ import annotations

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.tracking import ObjectTracker, Seen


def person(left: float, score: float = 60.0, strong: bool = True) -> Seen:
    return Seen("Person", score, BoundingBox(left, 0.4, 0.06, 0.12), strong)


def test_a_walking_person_keeps_one_id_and_two_people_get_two() -> None:
    tracker = ObjectTracker()
    ids = set()
    for step in range(5):
        out = tracker.update([person(0.1 + 0.01 * step), person(0.6 - 0.01 * step)])
        assert len(out) == 2 and all(t.detected for t in out)
        ids |= {t.track for t in out}
    assert len(ids) == 2


def test_weak_hits_continue_a_track_but_start_none() -> None:
    tracker = ObjectTracker()
    assert tracker.update([person(0.5, 25.0, strong=False)]) == []
    (first,) = tracker.update([person(0.1)])
    (later,) = tracker.update([person(0.11, 25.0, strong=False)])
    assert later.track == first.track and later.detected
    assert later.score == 42.5  # the mean of the track's best scores (60, 25), not 25


def test_a_missed_person_coasts_two_samples_in_a_steady_scene_one_otherwise() -> None:
    tracker = ObjectTracker()
    tracker.update([person(0.1)])
    tracker.update([person(0.12)])
    first, second, third = (tracker.update([]) for _ in range(3))
    assert [len(first), len(second), len(third)] == [1, 1, 0]
    assert not first[0].detected and abs(first[0].box.left - 0.12) < 0.02  # predicted
    other = ObjectTracker()
    other.update([person(0.1)])
    assert len(other.update([], steady=False)) == 1
    assert other.update([], steady=False) == []


def test_a_reset_at_a_cut_ends_every_track_and_ids_stay_unique() -> None:
    tracker = ObjectTracker()
    (before,) = tracker.update([person(0.1)])
    tracker.reset()
    (after,) = tracker.update([person(0.1)])
    assert after.track != before.track
