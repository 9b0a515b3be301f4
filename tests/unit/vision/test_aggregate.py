from __future__ import annotations

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.aggregate import TemporalAggregator, merge_detections
from streambet.vision.pipeline.detectors.base import FULL_FRAME, Detection


def _feed(agg: TemporalAggregator, ts: int, scores: dict[str, float], cut: bool = False):
    found = [
        ("t", Detection(name, score, ((FULL_FRAME, score),))) for name, score in scores.items()
    ]
    return agg.update(ts, merge_detections(found), cut)


def test_label_counts_only_after_consecutive_hits_and_is_backfilled() -> None:
    agg = TemporalAggregator(min_hits=2, window=5)
    assert _feed(agg, 0, {"Cat": 90}) == []
    out = _feed(agg, 500, {"Cat": 70})
    assert [(s.timestamp_ms, s.name) for s in out] == [(0, "Cat"), (500, "Cat")]
    assert out[0].confidence == 90 and out[1].confidence == 80  # median of [90, 70]
    assert out[1].top_confidence == 90


def test_single_sample_spike_never_counts() -> None:
    agg = TemporalAggregator(min_hits=2, max_misses=0)
    assert _feed(agg, 0, {"Dog": 95}) == []
    assert _feed(agg, 500, {}) == []
    assert _feed(agg, 1000, {"Dog": 95}) == []


def test_median_smooths_a_dip_and_a_gap_scores_zero() -> None:
    agg = TemporalAggregator(min_hits=2, window=3, max_misses=1)
    _feed(agg, 0, {"Person": 90})
    _feed(agg, 500, {"Person": 90})
    dip = _feed(agg, 1000, {"Person": 10})
    assert dip[0].confidence == 90  # median of [90, 90, 10]
    assert _feed(agg, 1500, {}) == []  # one miss is tolerated...
    after = _feed(agg, 2000, {"Person": 88})
    assert after[0].confidence == 10  # ...but scored 0: median of [10, 0, 88]
    assert after[0].top_confidence == 90


def test_a_cut_restarts_every_run() -> None:
    agg = TemporalAggregator(min_hits=2)
    _feed(agg, 0, {"Animal": 20})
    _feed(agg, 500, {"Animal": 20})
    assert _feed(agg, 1000, {"Animal": 95}, cut=True) == []
    out = _feed(agg, 1500, {"Animal": 97})
    assert [s.confidence for s in out] == [95, 96]


def test_merge_keeps_best_score_and_all_boxes() -> None:
    a = BoundingBox(0.1, 0.1, 0.2, 0.2)
    b = BoundingBox(0.5, 0.5, 0.2, 0.2)
    merged = merge_detections(
        [
            ("faces", Detection("Person", 80, ((a, 80),))),
            ("classifier", Detection("Person", 60, ((b, 60),))),
        ]
    )
    det, source = merged["Person"]
    # two models agree: wrong only if both are (0.2 x 0.4), named by the stronger
    assert (det.confidence, source) == (92.0, "faces")
    assert [box for box, _ in det.boxes] == [a, b]
    one_model = merge_detections(
        [
            ("classifier", Detection("Cat", 70, ())),
            ("classifier:regions", Detection("Cat", 60, ())),
            ("objects", Detection("Cat", 20, ())),  # below the agreement floor
        ]
    )
    assert one_model["Cat"][0].confidence == 70  # the classifier's views are one model


def test_a_video_shorter_than_the_hit_rule_keeps_its_single_sample() -> None:
    agg = TemporalAggregator(min_hits=2)
    assert _feed(agg, 0, {"Espresso": 90}) == []
    assert [(s.timestamp_ms, s.name) for s in agg.flush_short_video(1)] == [(0, "Espresso")]


def test_longer_videos_flush_nothing() -> None:
    agg = TemporalAggregator(min_hits=2)
    _feed(agg, 0, {"Cat": 90})
    _feed(agg, 500, {})
    _feed(agg, 1000, {"Dog": 90})
    assert agg.flush_short_video(3) == []


def test_pending_from_names_the_earliest_sample_still_waiting() -> None:
    agg = TemporalAggregator(min_hits=2, max_misses=1)
    assert agg.pending_from() is None
    _feed(agg, 0, {"Cat": 90})
    _feed(agg, 500, {"Cat": 90, "Dog": 80})  # Cat confirmed; Dog waits from 500
    assert agg.pending_from() == 500
    _feed(agg, 1000, {"Cat": 90})
    _feed(agg, 1500, {"Cat": 90})  # Dog missed twice: its run is gone
    assert agg.pending_from() is None
