"""Activity rules on keypoint sequences: stick figures with known postures and motions.

(The pose rules live beside the audio work in the same branch, so their tests do too.)
"""

from __future__ import annotations

import math

import pytest

from streambet.vision.pipeline.pose import (
    HAND_RAISED,
    HANDS_RAISED,
    JUMPING,
    KEYPOINTS,
    LYING_DOWN,
    RUNNING,
    SITTING,
    STANDING,
    ActivityTracker,
    Keypoint,
    PeopleActivities,
    Pose,
    label_infos,
    posture,
    raised_hands,
)

T = 0.25  # torso length in frame heights

Point = tuple[float, float]


def figure(
    hip: Point = (0.5, 0.5),
    *,
    arms: str = "down",
    legs: str = "standing",
    tilt_deg: float = 0.0,
    aspect: float = 1.0,
    hidden: tuple[str, ...] = (),
) -> Pose:
    """A front-facing stick figure; positions in frame heights around the hip midpoint."""
    hx, hy = hip
    at: dict[str, Point] = {
        "left_shoulder": (0.35 * T, -T),
        "right_shoulder": (-0.35 * T, -T),
        "nose": (0.0, -1.45 * T),
        "left_hip": (0.2 * T, 0.0),
        "right_hip": (-0.2 * T, 0.0),
    }
    for side, sign in (("left", 1), ("right", -1)):
        sx = sign * 0.35 * T
        if arms == "up" or (arms == "left up" and side == "left"):
            at[f"{side}_elbow"], at[f"{side}_wrist"] = (sx, -1.45 * T), (sx, -1.9 * T)
        else:
            at[f"{side}_elbow"], at[f"{side}_wrist"] = (sx, -0.55 * T), (sx, -0.1 * T)
        hx_side = sign * 0.2 * T
        knee, ankle = {
            "standing": ((hx_side, 0.9 * T), (hx_side, 1.8 * T)),
            "side sitting": ((hx_side + 0.9 * T, 0.05 * T), (hx_side + 0.9 * T, 0.85 * T)),
            "front sitting": ((hx_side, 0.3 * T), (hx_side, 1.1 * T)),
            "stride": ((hx_side + sign * 0.3 * T, 0.85 * T), (hx_side + sign * 0.6 * T, 1.7 * T)),
            "one knee up": (
                ((hx_side + 0.9 * T, 0.05 * T), (hx_side + 0.9 * T, 0.85 * T))
                if side == "left"
                else ((hx_side, 0.9 * T), (hx_side, 1.8 * T))
            ),
        }[legs]
        at[f"{side}_knee"], at[f"{side}_ankle"] = knee, ankle
    turn = math.radians(tilt_deg)
    keypoints = []
    for name in KEYPOINTS:
        if name not in at or name in hidden:
            keypoints.append(Keypoint(0.5, 0.5, 0.0))
            continue
        dx, dy = at[name]
        x = hx + dx * math.cos(turn) - dy * math.sin(turn)
        y = hy + dx * math.sin(turn) + dy * math.cos(turn)
        keypoints.append(Keypoint(x / aspect, y, 0.9))
    return Pose(tuple(keypoints), aspect)


def _names(tracker: ActivityTracker, t: int, pose: Pose | None) -> set[str]:
    return {s.name for s in tracker.update(t, pose)}


def test_a_standing_figure_stands_with_hands_down() -> None:
    pose = figure()

    assert posture(pose) == (STANDING, 0.9)
    assert raised_hands(pose) is None


@pytest.mark.parametrize(("arms", "label"), [("up", HANDS_RAISED), ("left up", HAND_RAISED)])
def test_wrists_above_the_head_are_raised_hands(arms: str, label: str) -> None:
    assert raised_hands(figure(arms=arms)) == (label, 0.9)


def test_raised_hands_need_no_hips_in_the_picture() -> None:
    """A head-and-shoulders shot: arms up still counts, the posture is nobody's guess."""
    pose = figure(arms="up", hidden=("left_hip", "right_hip", "left_knee", "right_knee"))

    assert raised_hands(pose) == (HANDS_RAISED, 0.9)
    assert posture(pose) is None


def test_hidden_wrists_raise_nothing() -> None:
    assert raised_hands(figure(arms="up", hidden=("left_wrist", "right_wrist"))) is None


@pytest.mark.parametrize("legs", ["side sitting", "front sitting"])
def test_seated_thighs_are_sitting(legs: str) -> None:
    assert posture(figure(legs=legs)) == (SITTING, 0.9)


def test_one_leg_in_sight_is_too_little_for_a_posture() -> None:
    assert posture(figure(legs="side sitting", hidden=("left_knee",))) is None
    assert posture(figure(hidden=("right_knee", "right_ankle"))) is None


def test_one_raised_knee_is_not_sitting() -> None:
    assert posture(figure(legs="one knee up")) is None


def test_a_horizontal_torso_is_lying_down_not_standing() -> None:
    assert posture(figure((0.5, 0.6), tilt_deg=90)) == (LYING_DOWN, 0.9)


def test_a_leaning_torso_gets_no_posture() -> None:
    assert posture(figure(tilt_deg=45)) is None


def test_angles_are_measured_in_the_picture_not_in_frame_ratios() -> None:
    """In a 16:9 frame x ratios shrink; a standing figure must still be upright."""
    assert posture(figure((0.9, 0.5), aspect=16 / 9)) == (STANDING, 0.9)
    assert posture(figure((0.9, 0.6), aspect=16 / 9, tilt_deg=90)) == (LYING_DOWN, 0.9)


def test_hips_rising_above_their_recent_level_is_a_jump() -> None:
    tracker = ActivityTracker()
    heights = [0.6, 0.6, 0.6, 0.6 - 0.35 * T, 0.6, 0.6 - 0.1 * T]

    seen = [_names(tracker, i * 500, figure((0.5, y))) for i, y in enumerate(heights)]

    assert [JUMPING in names for names in seen] == [False, False, False, True, False, False]


def test_a_jump_needs_a_history_and_a_gap_forgets_it() -> None:
    tracker = ActivityTracker()
    _names(tracker, 0, figure((0.5, 0.6)))
    _names(tracker, 500, figure((0.5, 0.6)))
    _names(tracker, 1000, None)  # the person left the picture (or the shot changed)

    assert JUMPING not in _names(tracker, 1500, figure((0.5, 0.6 - 0.4 * T)))


def test_crossing_the_frame_in_strides_is_running() -> None:
    tracker = ActivityTracker()
    xs = [0.2 + i * 0.6 * T for i in range(4)]  # 1.2 torso lengths a second at 2 samples/s

    seen = [_names(tracker, i * 500, figure((x, 0.5), legs="stride")) for i, x in enumerate(xs)]

    assert [RUNNING in names for names in seen] == [False, True, True, True]


@pytest.mark.parametrize(
    ("legs", "step"),
    [("standing", 0.6 * T), ("stride", 0.1 * T)],  # a camera pan; a slow walk
)
def test_sliding_with_feet_together_or_walking_slowly_is_not_running(
    legs: str, step: float
) -> None:
    tracker = ActivityTracker()

    seen = [_names(tracker, i * 500, figure((0.2 + i * step, 0.5), legs=legs)) for i in range(4)]

    assert not any(RUNNING in names for names in seen)


def test_samples_carry_the_person_box_and_the_pose_source() -> None:
    tracker = ActivityTracker()

    samples = tracker.update(2000, figure((0.5, 0.5), arms="up"))

    assert {s.name for s in samples} == {HANDS_RAISED, STANDING}
    for s in samples:
        assert (s.timestamp_ms, s.source, s.confidence) == (2000, "pose", 90.0)
        (instance,) = s.instances
        box = instance.box
        assert box.top == pytest.approx(0.5 - 1.9 * T) and box.height == pytest.approx(3.7 * T)
        assert box.left == pytest.approx(0.5 - 0.35 * T)


def test_activities_are_person_description_labels() -> None:
    infos = label_infos()

    assert set(infos) == {
        HANDS_RAISED,
        HAND_RAISED,
        STANDING,
        SITTING,
        LYING_DOWN,
        JUMPING,
        RUNNING,
    }
    assert all(info.categories == ("Person Description",) for info in infos.values())


def test_each_person_keeps_their_own_history_whatever_the_order() -> None:
    """Two people; the right one jumps. The list order flips, the jump stays theirs."""
    people = PeopleActivities()
    left, right = (0.25, 0.35), (0.75, 0.55)  # at different heights: a mix-up shows
    for i in range(3):
        poses = [figure(left), figure(right)]
        people.update(i * 500, poses if i % 2 == 0 else poses[::-1])

    samples = people.update(1500, [figure((0.75, 0.55 - 0.35 * T)), figure(left)])

    by_name = {s.name: s for s in samples}
    assert set(by_name) == {JUMPING, STANDING}
    (jumper,) = by_name[JUMPING].instances
    assert jumper.box.left > 0.5
    assert len(by_name[STANDING].instances) == 2
    assert all(s.source == "pose" and s.timestamp_ms == 1500 for s in samples)


def test_a_person_who_leaves_takes_their_history_along() -> None:
    people = PeopleActivities()
    for i in range(3):
        people.update(i * 500, [figure((0.25, 0.6)), figure((0.75, 0.6))])
    people.update(1500, [figure((0.25, 0.6))])

    samples = people.update(2000, [figure((0.25, 0.6)), figure((0.75, 0.6 - 0.35 * T))])

    assert JUMPING not in {s.name for s in samples}  # a newcomer has no level to rise from
