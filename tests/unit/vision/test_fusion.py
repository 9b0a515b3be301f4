"""Detections of several detectors fused through the taxonomy: no double counting."""

from __future__ import annotations

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.aggregate import merge_detections
from streambet.vision.pipeline.detectors.base import FULL_FRAME, Detection
from streambet.vision.pipeline.fusion import face_in_body, fuse, iou
from streambet.vision.pipeline.taxonomy import get_taxonomy

LEFT_BODY = BoundingBox(0.05, 0.05, 0.35, 0.9)
RIGHT_BODY = BoundingBox(0.55, 0.05, 0.4, 0.9)
LEFT_FACE = BoundingBox(0.17, 0.12, 0.1, 0.15)
RIGHT_FACE = BoundingBox(0.7, 0.15, 0.1, 0.15)
FAR_FACE = BoundingBox(0.45, 0.6, 0.04, 0.06)  # a small face below both bodies' heads


def _from_face(face: BoundingBox) -> BoundingBox:
    """What the face detector extrapolates (3 x 7 face sizes), unclipped for the test."""
    cx = face.left + face.width / 2
    return BoundingBox(
        cx - 1.5 * face.width, face.top - 0.5 * face.height, 3 * face.width, 7 * face.height
    )


def _faces(*faces: BoundingBox) -> list[tuple[str, Detection]]:
    return [
        ("faces", Detection("Face", 90.0, tuple((f, 90.0) for f in faces))),
        ("faces", Detection("Person", 90.0, tuple((_from_face(f), 90.0) for f in faces))),
    ]


def _people(found: list[tuple[str, Detection]]) -> list[BoundingBox]:
    det, _ = merge_detections(fuse(found, get_taxonomy()))["Person"]
    return [box for box, _ in det.boxes]


def test_a_face_inside_a_detected_body_is_one_person() -> None:
    bodies = ("objects", Detection("Person", 70.0, ((LEFT_BODY, 70.0), (RIGHT_BODY, 60.0))))

    people = _people([*_faces(LEFT_FACE, RIGHT_FACE), bodies])

    assert sorted(people, key=lambda b: b.left) == [LEFT_BODY, RIGHT_BODY]


def test_a_face_without_a_body_still_counts_and_a_body_takes_one_face() -> None:
    bodies = ("objects", Detection("Person", 70.0, ((LEFT_BODY, 70.0),)))
    # the right face has no body; two faces in the left body's head: only one is its own
    second_left = BoundingBox(0.28, 0.1, 0.1, 0.15)

    people = _people([*_faces(LEFT_FACE, RIGHT_FACE, second_left), bodies])

    assert len(people) == 3
    assert LEFT_BODY in people and _from_face(RIGHT_FACE) in people


def test_without_bodies_the_face_people_stand() -> None:
    assert len(_people(_faces(LEFT_FACE, RIGHT_FACE))) == 2


def test_face_inside_body_means_its_upper_half() -> None:
    assert face_in_body(LEFT_FACE, LEFT_BODY)
    assert not face_in_body(FAR_FACE, LEFT_BODY)
    assert not face_in_body(RIGHT_FACE, LEFT_BODY)


def test_a_detected_car_and_a_classified_cab_are_one_car_and_one_vehicle() -> None:
    car = BoundingBox(0.1, 0.5, 0.3, 0.2)
    tile = BoundingBox(0.0, 0.33, 0.5, 0.67)
    found = [
        ("classifier", Detection("Taxicab", 60.0, ((tile, 60.0),))),
        ("classifier", Detection("Car", 65.0, ((tile, 65.0),))),
        ("classifier", Detection("Vehicle", 70.0, ((FULL_FRAME, 70.0),))),
        ("objects", Detection("Car", 80.0, ((car, 80.0),))),
    ]

    merged = merge_detections(fuse(found, get_taxonomy()))

    assert set(merged) == {"Taxicab", "Car", "Vehicle"}
    for label in ("Car", "Vehicle"):
        det, source = merged[label]
        assert det.boxes == ((car, 80.0),)  # the coarse regions showed the same car
        assert source == "objects"
    # across detectors the models agree: wrong only if both are (0.2 x 0.3)
    assert merged["Vehicle"][0].confidence == 94.0


def test_a_classifier_region_elsewhere_is_kept() -> None:
    car = BoundingBox(0.1, 0.5, 0.2, 0.2)
    other = BoundingBox(0.6, 0.0, 0.4, 0.4)
    found = [
        ("classifier", Detection("Car", 65.0, ((other, 65.0),))),
        ("objects", Detection("Car", 80.0, ((car, 80.0),))),
    ]

    det, _ = merge_detections(fuse(found, get_taxonomy()))["Car"]

    assert {box for box, _ in det.boxes} == {car, other}


def test_two_detected_labels_rolling_up_to_one_parent_count_one_thing() -> None:
    """The detector calling one vehicle both car and truck gives one Vehicle instance."""
    car = BoundingBox(0.1, 0.5, 0.3, 0.2)
    truck = BoundingBox(0.11, 0.49, 0.3, 0.22)
    found = [
        ("objects", Detection("Car", 80.0, ((car, 80.0),))),
        ("objects", Detection("Truck", 50.0, ((truck, 50.0),))),
    ]

    det, _ = merge_detections(fuse(found, get_taxonomy()))["Vehicle"]

    assert det.boxes == ((car, 80.0),)
    assert iou(car, truck) > 0.5
