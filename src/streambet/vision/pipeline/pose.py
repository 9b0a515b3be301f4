"""Body pose -> activity labels a bettor would name (Hands Raised, Sitting, Jumping, ...).

Keypoints come from MediaPipe Pose 0.10.21, the "full" landmark model that ships in the
wheel (the "lite" and "heavy" ones download at run time, so never model_complexity 0 or
2). It finds ONE person per image, the most prominent; given person boxes from a
detector, estimate_people() runs it once per box and PeopleActivities follows each
person. Every activity is a rule in this module over the 33 keypoints, some over time; a
rule abstains (no label) when the joints it needs are not visible, so a head-and-shoulders
shot is neither sitting nor standing.

Geometry is done in units of the frame height (x is scaled by the aspect ratio) and in
torso lengths (shoulder midpoint to hip midpoint), so rules do not depend on the
person's size in the picture.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import BoundingBox, Instance, LabelInfo, LabelSample

# MediaPipe's landmark order.
KEYPOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
INDEX = {name: i for i, name in enumerate(KEYPOINTS)}
MIN_VISIBILITY = 0.5  # MediaPipe's own threshold for drawing a landmark
SOURCE = "pose"
# Rekognition files what people do under "Person Description", and the original app's
# activity filter reads that category, so pose activities become activity labels.
CATEGORY = "Person Description"

HANDS_RAISED, HAND_RAISED = "Hands Raised", "Hand Raised"
STANDING, SITTING, LYING_DOWN = "Standing", "Sitting", "Lying Down"
JUMPING, RUNNING = "Jumping", "Running"
ACTIVITIES = (HANDS_RAISED, HAND_RAISED, STANDING, SITTING, LYING_DOWN, JUMPING, RUNNING)

# Rule thresholds (angles in degrees from the vertical; lengths in torso lengths).
UPRIGHT_MAX_DEG = 35.0  # torso counts as upright
LYING_MIN_DEG = 60.0  # torso counts as lying
THIGH_SITTING_MIN_DEG = 65.0  # a thigh this far from vertical is a seated thigh
THIGH_FORESHORTENED = 0.45  # seen from the front, a seated thigh looks this short
LEG_STANDING_MAX_DEG = 25.0
HAND_ABOVE_NOSE = 0.1  # wrist above the nose by this much of a torso
JUMP_RISE = 0.25  # hips above their recent level by a quarter torso
RUN_SPEED = 1.0  # hips moving sideways at a torso length a second or more
RUN_STRIDE = 0.6  # ankles this far apart sideways (hip-width stance is ~0.4)
HISTORY_MS = 3000  # the "recent level" for jumps
JUMP_MIN_HISTORY = 2  # samples needed before a rise means anything
RUN_GAP_MS = 1500  # speed only between samples this close


@dataclass(frozen=True)
class Keypoint:
    x: float  # ratio of the frame width
    y: float  # ratio of the frame height
    visibility: float  # 0-1


@dataclass(frozen=True)
class Pose:
    keypoints: tuple[Keypoint, ...]  # 33, in KEYPOINTS order
    aspect: float  # frame width / height

    def point(self, name: str) -> NDArray[np.float64] | None:
        """(x, y) in frame heights, or None when the joint is not visibly in the frame."""
        k = self.keypoints[INDEX[name]]
        inside = -0.05 <= k.x <= 1.05 and -0.05 <= k.y <= 1.05
        if k.visibility < MIN_VISIBILITY or not inside:
            return None
        return np.array([k.x * self.aspect, k.y])

    def visibility(self, *names: str) -> float:
        return min(self.keypoints[INDEX[n]].visibility for n in names)

    def box(self) -> BoundingBox:
        seen = [
            k
            for k in self.keypoints
            if k.visibility >= MIN_VISIBILITY and 0 <= k.x <= 1 and 0 <= k.y <= 1
        ]
        if not seen:
            return BoundingBox(0.0, 0.0, 1.0, 1.0)
        x0, x1 = min(k.x for k in seen), max(k.x for k in seen)
        y0, y1 = min(k.y for k in seen), max(k.y for k in seen)
        return BoundingBox(round(x0, 4), round(y0, 4), round(x1 - x0, 4), round(y1 - y0, 4))


def _mid(pose: Pose, a: str, b: str) -> NDArray[np.float64] | None:
    pa, pb = pose.point(a), pose.point(b)
    if pa is None or pb is None:
        return None
    mid: NDArray[np.float64] = (pa + pb) / 2
    return mid


def _degrees_from_vertical(top: NDArray[np.float64], bottom: NDArray[np.float64]) -> float:
    dx, dy = bottom - top
    return math.degrees(math.atan2(abs(dx), abs(dy)))


def _torso(pose: Pose) -> tuple[NDArray[np.float64], NDArray[np.float64], float] | None:
    shoulders = _mid(pose, "left_shoulder", "right_shoulder")
    hips = _mid(pose, "left_hip", "right_hip")
    if shoulders is None or hips is None:
        return None
    length = float(np.linalg.norm(hips - shoulders))
    return (shoulders, hips, length) if length > 1e-3 else None


# --- single-frame rules -----------------------------------------------------------------


def raised_hands(pose: Pose) -> tuple[str, float] | None:
    """Hands Raised: both wrists above the nose; Hand Raised: one of them."""
    nose = pose.point("nose")
    left, right = pose.point("left_shoulder"), pose.point("right_shoulder")
    if nose is None or left is None or right is None:
        return None
    torso = _torso(pose)
    # without hips, shoulder width stands in for the torso (it is about 0.7 of it)
    scale = torso[2] if torso else float(np.linalg.norm(left - right)) / 0.7
    up = []
    for side in ("left_wrist", "right_wrist"):
        wrist = pose.point(side)
        if wrist is not None and wrist[1] < nose[1] - HAND_ABOVE_NOSE * scale:
            up.append(side)
    if not up:
        return None
    confidence = pose.visibility("nose", *up)
    return (HANDS_RAISED if len(up) == 2 else HAND_RAISED), confidence


@dataclass(frozen=True)
class _Leg:
    thigh_deg: float  # hip -> knee, from the vertical
    thigh_len: float  # in torso lengths
    shin_deg: float | None  # knee -> ankle, None when the ankle is not seen
    joints: tuple[str, ...]

    @property
    def seated(self) -> bool:
        # level with the seat, or pointing at the camera (foreshortened)
        return self.thigh_deg >= THIGH_SITTING_MIN_DEG or self.thigh_len < THIGH_FORESHORTENED

    @property
    def straight(self) -> bool:
        return (
            self.thigh_deg <= LEG_STANDING_MAX_DEG
            and self.shin_deg is not None
            and self.shin_deg <= LEG_STANDING_MAX_DEG
        )


def posture(pose: Pose) -> tuple[str, float] | None:
    """Standing, Sitting or Lying Down from the torso and both legs; None when unsure."""
    torso = _torso(pose)
    if torso is None:
        return None
    shoulders, hips, length = torso
    torso_names = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    lean = _degrees_from_vertical(shoulders, hips)
    if lean >= LYING_MIN_DEG:
        return LYING_DOWN, pose.visibility(*torso_names)
    if lean > UPRIGHT_MAX_DEG or shoulders[1] > hips[1]:
        return None  # bending over, or upside down: no call
    legs = []
    for side in ("left", "right"):
        hip, knee = pose.point(f"{side}_hip"), pose.point(f"{side}_knee")
        if hip is None or knee is None:
            continue
        ankle = pose.point(f"{side}_ankle")
        legs.append(
            _Leg(
                thigh_deg=_degrees_from_vertical(hip, knee),
                thigh_len=float(np.linalg.norm(knee - hip)) / length,
                shin_deg=_degrees_from_vertical(knee, ankle) if ankle is not None else None,
                joints=(f"{side}_hip", f"{side}_knee")
                + ((f"{side}_ankle",) if ankle is not None else ()),
            )
        )
    if len(legs) < 2:
        # one leg is too little to go on: on a photographer cut at the knees MediaPipe put
        # a "knee" on his tripod, and a lone misplaced thigh read as sitting
        return None
    confidence = pose.visibility(*torso_names, *(j for leg in legs for j in leg.joints))
    # every visible thigh must look seated: a runner's raised knee is one thigh, not two
    if all(leg.seated for leg in legs):
        return SITTING, confidence
    if all(leg.straight for leg in legs):
        return STANDING, confidence
    return None


# --- rules over time ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    timestamp_ms: int
    hips: NDArray[np.float64]


class ActivityTracker:
    """Feeds one person's poses in time order; emits activity samples per timestamp.

    Jumping: the hips rise a quarter torso above their median over the last 3 s.
    Running: the hips cross a torso length a second sideways with the feet apart.
    Both read the picture, not the world: a camera that tilts or pans moves the person
    in the frame too. A sample without a pose, or a cut, forgets the history.
    """

    def __init__(self) -> None:
        self._history: deque[_Seen] = deque()

    def reset(self) -> None:
        self._history.clear()

    def update(self, timestamp_ms: int, pose: Pose | None) -> list[LabelSample]:
        if pose is None:
            self.reset()
            return []
        found = [r for r in (raised_hands(pose), posture(pose)) if r is not None]
        torso = _torso(pose)
        if torso is not None:
            found += self._moving(timestamp_ms, pose, torso)
        box = pose.box()
        return [
            LabelSample(
                timestamp_ms,
                name,
                round(confidence * 100, 1),
                round(confidence * 100, 1),
                (Instance(box, round(confidence * 100, 1)),),
                SOURCE,
            )
            for name, confidence in found
        ]

    def _moving(
        self,
        timestamp_ms: int,
        pose: Pose,
        torso: tuple[NDArray[np.float64], NDArray[np.float64], float],
    ) -> list[tuple[str, float]]:
        shoulders, hips, length = torso
        while self._history and timestamp_ms - self._history[0].timestamp_ms > HISTORY_MS:
            self._history.popleft()
        previous = list(self._history)
        self._history.append(_Seen(timestamp_ms, hips))
        if not previous or _degrees_from_vertical(shoulders, hips) > UPRIGHT_MAX_DEG:
            return []
        confidence = pose.visibility("left_shoulder", "right_shoulder", "left_hip", "right_hip")
        found: list[tuple[str, float]] = []
        level = statistics.median(float(s.hips[1]) for s in previous)
        if len(previous) >= JUMP_MIN_HISTORY and (level - hips[1]) / length >= JUMP_RISE:
            found.append((JUMPING, confidence))
        last = previous[-1]
        gap_ms = timestamp_ms - last.timestamp_ms
        left, right = pose.point("left_ankle"), pose.point("right_ankle")
        if 0 < gap_ms <= RUN_GAP_MS and left is not None and right is not None:
            speed = abs(float(hips[0] - last.hips[0])) / length / (gap_ms / 1000)
            stride = abs(float(left[0] - right[0])) / length
            if speed >= RUN_SPEED and stride >= RUN_STRIDE:
                feet = pose.visibility("left_ankle", "right_ankle")
                found.append((RUNNING, confidence * feet))
        return found


class PeopleActivities:
    """Activities of several people per frame, each followed by their own ActivityTracker.

    A pose joins the track whose last box centre is nearest, if within the larger side
    of its box; otherwise it starts a track. Tracks not seen in a sample end (as a
    single tracker forgets on a missing pose). Samples merge per label: one LabelSample
    with every person doing it as an instance, the best confidence as its own.
    """

    def __init__(self) -> None:
        self._tracks: list[tuple[tuple[float, float], ActivityTracker]] = []

    def reset(self) -> None:
        self._tracks.clear()

    def update(self, timestamp_ms: int, poses: list[Pose]) -> list[LabelSample]:
        free = list(self._tracks)
        tracks: list[tuple[tuple[float, float], ActivityTracker]] = []
        by_label: dict[str, list[LabelSample]] = {}
        for pose in poses:
            box = pose.box()
            centre = (box.left + box.width / 2, box.top + box.height / 2)
            reach = max(box.width, box.height)
            nearest = min(free, key=lambda t: math.dist(t[0], centre), default=None)
            if nearest is not None and math.dist(nearest[0], centre) <= reach:
                free.remove(nearest)
                tracker = nearest[1]
            else:
                tracker = ActivityTracker()
            tracks.append((centre, tracker))
            for sample in tracker.update(timestamp_ms, pose):
                by_label.setdefault(sample.name, []).append(sample)
        self._tracks = tracks
        merged = []
        for name, samples in by_label.items():
            best = max(s.confidence for s in samples)
            instances = tuple(i for s in samples for i in s.instances)
            merged.append(LabelSample(timestamp_ms, name, best, best, instances, SOURCE))
        return merged


def label_infos() -> dict[str, LabelInfo]:
    return {name: LabelInfo(name, categories=(CATEGORY,)) for name in ACTIVITIES}


# --- the model ----------------------------------------------------------------------------


class PoseEstimator:
    """MediaPipe Pose, full model, one frame at a time (no tracking between samples)."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        import mediapipe as mp

        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=True,
            model_complexity=1,  # "full": the only one in the wheel
            min_detection_confidence=min_confidence,
        )

    def estimate(self, rgb: NDArray[np.uint8]) -> Pose | None:
        height, width = rgb.shape[:2]
        found = self._pose.process(np.ascontiguousarray(rgb)).pose_landmarks
        if found is None:
            return None
        points = tuple(
            Keypoint(float(lm.x), float(lm.y), float(lm.visibility)) for lm in found.landmark
        )
        return Pose(points, width / height)

    def estimate_people(
        self, rgb: NDArray[np.uint8], boxes: list[BoundingBox], margin: float = 0.2
    ) -> list[Pose]:
        """One pose per person box (from a person detector), in whole-frame coordinates.

        MediaPipe Pose finds one person per image, so each box (grown by `margin` of its
        size on every side) is cropped and run on its own. Boxes under 32 px are skipped.
        """
        height, width = rgb.shape[:2]
        poses = []
        for box in boxes:
            x0 = max(0, int((box.left - margin * box.width) * width))
            y0 = max(0, int((box.top - margin * box.height) * height))
            x1 = min(width, int((box.left + (1 + margin) * box.width) * width))
            y1 = min(height, int((box.top + (1 + margin) * box.height) * height))
            if x1 - x0 < 32 or y1 - y0 < 32:
                continue
            found = self.estimate(rgb[y0:y1, x0:x1])
            if found is None:
                continue
            points = tuple(
                Keypoint(
                    (x0 + k.x * (x1 - x0)) / width, (y0 + k.y * (y1 - y0)) / height, k.visibility
                )
                for k in found.keypoints
            )
            poses.append(Pose(points, width / height))
        return poses

    def close(self) -> None:
        self._pose.close()
