"""Rekognition-style result filters: MinConfidence, label and category inclusion/exclusion.

Names are matched through the taxonomy (case-insensitive, aliases accepted), so "kitten"
in an inclusion filter keeps Cat. A label passes a label filter when it or one of its
parents is named (excluding Animal excludes Tiger Cat); inclusion filters, when given, must
match; exclusion filters must not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from streambet.vision.pipeline.taxonomy import get_taxonomy


def _canonical(names: Iterable[str]) -> frozenset[str]:
    tax = get_taxonomy()
    out = set()
    for name in names:
        info = tax.resolve(name)
        out.add(info.name if info else name.strip())
    return frozenset(out)


@dataclass(frozen=True)
class LabelFilter:
    min_confidence: float = 0.0
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    include_categories: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        min_confidence: float = 0.0,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        include_categories: Iterable[str] = (),
        exclude_categories: Iterable[str] = (),
    ) -> LabelFilter:
        return cls(
            float(min_confidence),
            _canonical(include),
            _canonical(exclude),
            frozenset(c.strip().lower() for c in include_categories),
            frozenset(c.strip().lower() for c in exclude_categories),
        )

    def allows_label(self, name: str) -> bool:
        info = get_taxonomy().resolve(name)
        lineage = {name} | (set(info.parents) | {info.name} if info else set())
        categories = {c.lower() for c in info.categories} if info else set()
        if self.include and not lineage & self.include:
            return False
        if self.exclude and lineage & self.exclude:
            return False
        if self.include_categories and not categories & self.include_categories:
            return False
        return not (self.exclude_categories and categories & self.exclude_categories)

    def allows(self, name: str, confidence: float) -> bool:
        return confidence >= self.min_confidence and self.allows_label(name)
