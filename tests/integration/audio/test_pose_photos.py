"""MediaPipe Pose (the full model shipped in the wheel) on real photos, then the rules."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image
from skimage import data

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.pose import ActivityTracker, PoseEstimator, posture, raised_hands

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def estimator() -> Iterator[PoseEstimator]:
    pose = PoseEstimator()
    yield pose
    pose.close()


def _hopper() -> np.ndarray:
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


@pytest.mark.parametrize("photo", [data.astronaut, _hopper])
def test_portraits_give_a_head_over_shoulders_and_no_guesses(
    estimator: PoseEstimator, photo: object
) -> None:
    rgb = photo()  # type: ignore[operator]

    pose = estimator.estimate(rgb)

    assert pose is not None
    nose, left, right = (
        pose.point("nose"),
        pose.point("left_shoulder"),
        pose.point("right_shoulder"),
    )
    assert nose is not None and left is not None and right is not None
    assert nose[1] < left[1] and nose[1] < right[1]  # the head is above the shoulders
    assert right[0] < nose[0] < left[0]  # facing the camera: her left is on our right
    assert pose.aspect == pytest.approx(rgb.shape[1] / rgb.shape[0])
    # arms are down and the hips are out of the picture: no hands raised, no posture
    assert raised_hands(pose) is None and posture(pose) is None
    assert ActivityTracker().update(0, pose) == []


def test_a_cat_has_no_human_pose(estimator: PoseEstimator) -> None:
    assert estimator.estimate(data.chelsea()) is None


def test_two_people_side_by_side_get_a_pose_each(estimator: PoseEstimator) -> None:
    """The astronaut next to Grace Hopper, with a person box on each (as a detector gives)."""
    hopper = np.asarray(Image.fromarray(_hopper()).resize((427, 500)))
    rgb = np.ascontiguousarray(np.hstack([data.astronaut()[:500], hopper]))
    split = 512 / rgb.shape[1]
    boxes = [BoundingBox(0.0, 0.0, split, 1.0), BoundingBox(split, 0.0, 1 - split, 1.0)]

    poses = estimator.estimate_people(rgb, boxes)

    assert len(poses) == 2
    noses = [p.point("nose") for p in poses]
    assert all(n is not None for n in noses)
    xs = [float(n[0]) / poses[0].aspect for n in noses if n is not None]
    assert xs[0] < split < xs[1]  # each nose inside its own person's half
    assert all(p.aspect == pytest.approx(rgb.shape[1] / rgb.shape[0]) for p in poses)


@pytest.mark.parametrize("shift", [-60, 0, 60, 120])
def test_a_standing_photographer_is_never_called_sitting(
    estimator: PoseEstimator, shift: int
) -> None:
    """The cameraman stands at a tripod, cut at the knees; framed higher or lower (which
    once made MediaPipe put a knee on the tripod), he must not become Sitting."""
    rgb = np.repeat(data.camera()[:, :, None], 3, axis=2)
    framed = np.zeros_like(rgb)
    if shift >= 0:
        framed[shift:] = rgb[: rgb.shape[0] - shift]
    else:
        framed[:shift] = rgb[-shift:]

    pose = estimator.estimate(framed)

    assert pose is not None
    called = posture(pose)
    assert called is None or called[0] == "Standing", called
    assert raised_hands(pose) is None
