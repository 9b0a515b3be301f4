from __future__ import annotations

import pytest

from streambet.vision.pipeline.taxonomy import get_taxonomy


def test_every_label_has_a_category_and_known_acyclic_parents() -> None:
    tax = get_taxonomy()
    labels = tax.all_labels()
    names = {info.name for info in labels}
    assert len(labels) > 1000
    for info in labels:
        assert info.categories, info.name
        assert info.name not in info.parents
        assert len(set(info.parents)) == len(info.parents)
        for parent in info.parents:
            assert parent in names
        if info.parents:
            # the chain is complete: nearest first, each step is the next one's child
            assert tax.info(info.parents[0]).parents == info.parents[1:]


def test_classifier_outputs_all_resolve() -> None:
    tax = get_taxonomy()
    classes = tax.class_names()
    assert len(classes) == 1000
    for name in classes:
        assert tax.resolve(name) is not None


@pytest.mark.parametrize(
    ("label", "ancestor"),
    [
        ("Tiger Cat", "Cat"),
        ("tiger cat", "animal"),
        ("Egyptian Mau", "Cat"),
        ("Beagle", "Dog"),
        ("Golden Retriever", "Dog"),
        ("Standard Poodle", "Animal"),
        ("Espresso", "Beverage"),
        ("Soccer Ball", "Sports Equipment"),
        ("Face", "Person"),
        ("Sports Car", "Vehicle"),
    ],
)
def test_is_a(label: str, ancestor: str) -> None:
    assert get_taxonomy().is_a(label, ancestor)


@pytest.mark.parametrize(
    ("label", "ancestor"), [("Lion", "Cat"), ("Cat", "Tiger Cat"), ("x", "Cat")]
)
def test_is_not_a(label: str, ancestor: str) -> None:
    assert not get_taxonomy().is_a(label, ancestor)


def test_resolve_accepts_aliases_case_insensitively() -> None:
    tax = get_taxonomy()
    kitten = tax.resolve("KITTEN")
    assert kitten is not None and kitten.name == "Cat"
    assert kitten.categories == ("Animals and Pets",)
    tiger = tax.resolve("tiger cat")
    assert tiger is not None and tiger.parents == ("Cat", "Feline", "Mammal", "Animal")
    assert tax.resolve("no such thing") is None
    # a synonym two different classes share is refused rather than guessed
    assert tax.resolve("crane") is None


def test_categories_follow_rekognition_names() -> None:
    cats = get_taxonomy().categories()
    for expected in ("Animals and Pets", "Person Description", "Vehicles and Automotive"):
        assert expected in cats


def test_rockets_are_vehicles_not_weapons() -> None:
    tax = get_taxonomy()
    rocket = tax.resolve("rocket")
    assert rocket is not None and rocket.name == "Rocket"
    assert tax.is_a("Missile", "Rocket") and tax.is_a("Missile", "Vehicle")
    assert not tax.is_a("Missile", "Weapon")


def test_every_detector_label_resolves_to_itself() -> None:
    """COCO objects, sounds and pose activities are labels of their own (not an alias of
    a look-alike: Kite is not the bird, Cup not only a tea cup) with a category."""
    from streambet.vision.pipeline.audio.events import SOUND_LABELS
    from streambet.vision.pipeline.detectors.coco import COCO_LABELS
    from streambet.vision.pipeline.pose import ACTIVITIES

    tax = get_taxonomy()
    names = [label.name for label in COCO_LABELS] + list(SOUND_LABELS) + list(ACTIVITIES)
    assert len(names) == 80 + len(SOUND_LABELS) + len(ACTIVITIES)
    for name in names:
        info = tax.resolve(name)
        assert info is not None, name
        assert info.name == name
        assert info.categories, name
    classes = set(tax.class_names())
    for label in COCO_LABELS:
        # an ImageNet class keeps its curated parent (Microwave: Kitchenware)
        if label.parent and label.name not in classes:
            assert tax.is_a(label.name, label.parent), label.name
    assert tax.info("Hands Raised").categories == ("Person Description",)
    assert tax.info("Cheering").categories == ("Sounds",)


@pytest.mark.parametrize(
    ("classified", "detected"),
    [("Cab", "Car"), ("Tea Cup", "Cup"), ("Soccer Ball", "Sports Ball"), ("Airliner", "Airplane")],
)
def test_classifier_classes_roll_up_to_the_detector_label(classified: str, detected: str) -> None:
    assert get_taxonomy().is_a(classified, detected)


@pytest.mark.parametrize(
    ("alias", "label"),
    [("laptop computer", "Laptop"), ("microwave oven", "Microwave"), ("hair dryer", "Hair Drier")],
)
def test_wordnet_names_are_aliases_of_the_coco_label(alias: str, label: str) -> None:
    info = get_taxonomy().resolve(alias)
    assert info is not None and info.name == label
