from __future__ import annotations

import numpy as np

from streambet.vision.pipeline.decode import FrameSampler
from streambet.vision.pipeline.detectors.shots import ShotDetector


def _frame(seed: int, level: int = 128) -> np.ndarray:
    """A smooth random picture (big blocks), so a shift of a pixel is a small change."""
    rng = np.random.default_rng(seed)
    coarse = np.clip(rng.normal(level, 40, (9, 16)), 0, 255)
    return np.kron(coarse, np.ones((4, 4))).astype(np.uint8)


def test_cuts_found_at_the_changing_frame_and_not_in_gentle_motion() -> None:
    det = ShotDetector()
    a, b = _frame(1, 90), _frame(2, 170)
    cuts = []
    for i in range(60):  # 6 s at 10 fps, cut at 3.0 s
        base = a if i < 30 else b
        drift = np.roll(base, i % 3, axis=1)  # small motion within the shot
        if det.update(i * 100, drift):
            cuts.append(i * 100)
    assert cuts == [3000]
    shots = [s for s in det.finish(6000) if s.kind == "SHOT"]
    assert [(s.start_ms, s.end_ms) for s in shots] == [(0, 3000), (3000, 6000)]


def test_black_frames_become_a_segment() -> None:
    det = ShotDetector()
    for i in range(30):
        frame = np.full((36, 64), 16, np.uint8) if 10 <= i < 20 else _frame(3)
        det.update(i * 100, frame)
    black = [s for s in det.finish(3000) if s.kind == "BLACK_FRAMES"]
    assert [(s.start_ms, s.end_ms) for s in black] == [(1000, 2000)]


def test_sampler_picks_first_frame_at_or_after_each_sample_time() -> None:
    sampler = FrameSampler(500)
    times = [0, 40, 480, 520, 960, 1000, 1040]  # 25 fps-ish
    assert [t for t in times if sampler.take(t)] == [0, 520, 1000]


def test_sampler_with_variable_frame_rate_gap() -> None:
    sampler = FrameSampler(500)
    times = [0, 100, 1000, 2500, 2600, 3000]
    assert [t for t in times if sampler.take(t)] == [0, 1000, 2500, 3000]


def test_without_history_only_the_current_shot_is_kept() -> None:
    keeping, forgetting = ShotDetector(), ShotDetector(keep_history=False)
    frames = [_frame(seed, 60 + 40 * seed) for seed in range(4)]
    for i in range(80):  # four shots of 2 s at 10 fps
        for det in (keeping, forgetting):
            det.update(i * 100, frames[i // 20])
    shots = [(s.start_ms, s.end_ms) for s in keeping.finish(8000) if s.kind == "SHOT"]
    assert shots == [(0, 2000), (2000, 4000), (4000, 6000), (6000, 8000)]
    current = [(s.start_ms, s.end_ms) for s in forgetting.finish(8000) if s.kind == "SHOT"]
    assert current == [(6000, 8000)]


def test_shots_start_where_the_analysed_range_starts() -> None:
    det = ShotDetector()
    for i in range(10):
        det.update(5000 + i * 100, _frame(4))
    assert [(s.start_ms, s.end_ms) for s in det.finish(6000, start_ms=5000)] == [(5000, 6000)]


def _thumb(name: str, shift: int = 0) -> np.ndarray:
    """A packaged photo as the engine's 64 x 36 luma thumbnail, shifted right by `shift`."""
    import cv2

    from tests.support.clips import photo

    grey = cv2.cvtColor(photo(name), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (64 + 40, 36), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, 40 - shift : 40 - shift + 64])


def test_a_cut_between_similar_shots_is_a_spike_and_a_steady_pan_is_not() -> None:
    """Another camera on the same studio (bench/accuracy.py's band clip, 176 x 144) scores
    0.2-0.35, under the 0.3 threshold a cut between unlike shots passes; a pan raises
    every frame's difference alike and is no cut."""
    det = ShotDetector()
    wide, close = _thumb("astronaut"), _thumb("astronaut", 1)  # scores about 0.2
    close = np.clip(close.astype(np.int16) + 6, 0, 255).astype(np.uint8)
    rng = np.random.default_rng(0)
    cuts = []
    for i in range(40):  # 4 s at 10 fps, the other camera from 2.0 s
        frame = wide if i < 20 else close
        noise = rng.normal(0, 3, frame.shape)  # sensor noise within each shot
        noisy = np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        if det.update(i * 100, noisy):
            cuts.append(i * 100)
    starts = [s.start_ms for s in det.finish(4000) if s.kind == "SHOT"]
    assert starts == [0, 2000]  # dated at its own frame...
    assert cuts and cuts[0] >= 2000  # ...and known once the frames after it are seen

    panning = ShotDetector()
    for i in range(40):  # a pixel of the thumbnail a frame: as large a change as the cut
        panning.update(i * 100, _thumb("coffee", i))
    assert [s.start_ms for s in panning.finish(4000) if s.kind == "SHOT"] == [0]


def test_sampler_after_a_sample_out_of_turn_keeps_half_an_interval() -> None:
    """A cut sampled at 1200 ms: the next comes 250 ms on (1460, the first frame from
    1450), the one after it 250 ms after that (1720), not at the tick of 1500 two frames
    later; then on the ticks again."""
    sampler = FrameSampler(500)
    frames = range(1000, 3100, 20)  # 50 fps
    taken = []
    for ms in frames:
        if ms == 1200:
            sampler.restart(ms)
            taken.append(ms)
        elif sampler.take(ms):
            taken.append(ms)
    assert taken == [1000, 1200, 1460, 1720, 2000, 2500, 3000]


def test_a_cut_inside_busy_motion_is_a_spike_though_over_the_threshold() -> None:
    """bench/accuracy.py's band clip cuts at 7.6 s from a shaky close-up (differences of
    0.12-0.16 a frame) to another camera: 0.34, over the 0.3 threshold but under three
    times the recent differences, so the immediate rule passed it over, and the spike rule
    only looked below the threshold. Here a pan scores 0.2 a frame and the cut 0.5."""
    det = ShotDetector()
    for i in range(40):  # 4 s at 10 fps, the other view from 2.0 s
        frame = _thumb("astronaut", (2 * i) % 40)
        if i >= 20:  # the same room from across: the picture half mirrored
            frame = (0.5 * frame + 0.5 * frame[:, ::-1]).astype(np.uint8)
        det.update(i * 100, frame)
    assert [s.start_ms for s in det.finish(4000) if s.kind == "SHOT"] == [0, 2000]
