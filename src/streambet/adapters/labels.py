"""A static label vocabulary: the stand-in until the vision taxonomy
(streambet.vision.taxonomy) is wired in, and the shape it must have (`resolve`)."""

from __future__ import annotations

from collections.abc import Iterable

from streambet.vision.timeline import LabelInfo

_A = ("Animal",)
_V = ("Vehicle", "Transportation")
BASIC_LABELS = (
    LabelInfo("Person", aliases=("Human", "People"), categories=("Person Description",)),
    LabelInfo("Face", parents=("Person",), categories=("Person Description",)),
    LabelInfo("Animal", categories=("Animals and Pets",)),
    LabelInfo("Pet", parents=_A, categories=("Animals and Pets",)),
    LabelInfo("Cat", parents=("Pet", *_A), aliases=("Kitten",), categories=("Animals and Pets",)),
    LabelInfo("Dog", parents=("Pet", *_A), aliases=("Puppy",), categories=("Animals and Pets",)),
    LabelInfo("Bird", parents=_A, categories=("Animals and Pets",)),
    LabelInfo("Horse", parents=_A, categories=("Animals and Pets",)),
    LabelInfo("Transportation", categories=("Vehicles and Automotive",)),
    LabelInfo("Vehicle", parents=("Transportation",), categories=("Vehicles and Automotive",)),
    LabelInfo("Car", parents=_V, aliases=("Automobile",), categories=("Vehicles and Automotive",)),
    LabelInfo("Bicycle", parents=_V, aliases=("Bike",), categories=("Vehicles and Automotive",)),
    LabelInfo("Ball", categories=("Sports",)),
    LabelInfo("Sports Ball", parents=("Ball",), aliases=("Soccer Ball",), categories=("Sports",)),
)


class StaticVocabulary:
    """Case-insensitive lookup by name or alias."""

    def __init__(self, labels: Iterable[LabelInfo] = BASIC_LABELS) -> None:
        self._by_name: dict[str, LabelInfo] = {}
        for info in labels:
            for name in (info.name, *info.aliases):
                self._by_name[name.casefold()] = info

    def resolve(self, name: str) -> LabelInfo | None:
        return self._by_name.get(name.strip().casefold())
