from __future__ import annotations

from streambet.vision.pipeline.filters import LabelFilter


def test_min_confidence() -> None:
    f = LabelFilter.build(min_confidence=60)
    assert f.allows("Cat", 60) and not f.allows("Cat", 59.9)


def test_label_inclusion_matches_aliases_and_descendants() -> None:
    f = LabelFilter.build(include=["kitten"])
    assert f.allows_label("Cat") and f.allows_label("Tiger Cat")
    assert not f.allows_label("Animal") and not f.allows_label("Beagle")


def test_label_exclusion_removes_a_subtree() -> None:
    f = LabelFilter.build(exclude=["Animal"])
    assert not f.allows_label("Tiger Cat") and f.allows_label("Person")


def test_category_filters() -> None:
    inc = LabelFilter.build(include_categories=["animals and pets"])
    assert inc.allows_label("Beagle") and not inc.allows_label("Espresso")
    exc = LabelFilter.build(exclude_categories=["Food and Beverage"])
    assert not exc.allows_label("Espresso") and exc.allows_label("Person")
