"""One sample's detections from several detectors, made consistent before aggregation.

- Taxonomy roll-up: the object detector names leaf labels (Car, Cup); its labels gain
  their taxonomy parents (Vehicle, Kitchenware) with the same confidence and boxes, as the
  classifier's already do, so a detected car and a classified cab meet at Car and Vehicle
  and `merge_detections` keeps one entry per label (the highest confidence wins).
- People are counted, not detections: a Person box the face detector extrapolated from a
  face is dropped when a body box of the object detector holds that face in its upper half
  (face inside body) or overlaps it (IoU >= 0.5); each body takes at most one face.
- Any other label seen with boxes by several detectors keeps the most precise source's
  box where two overlap (IoU >= 0.5, or one lies >= 80% inside the other): object boxes
  over face-derived boxes over the classifier's coarse regions.
"""

from __future__ import annotations

from dataclasses import replace

from streambet.timeline import BoundingBox
from streambet.vision.pipeline.boxes import SAME_INSIDE, SAME_IOU, inside, iou, same_thing
from streambet.vision.pipeline.detectors.base import Detection
from streambet.vision.pipeline.taxonomy import Taxonomy

PERSON, FACE = "Person", "Face"
OBJECTS, FACES = "objects", "faces"
ROLL_UP_SOURCES = (OBJECTS,)  # the classifier rolls up itself; faces name Person directly
# lower ranks are the more precise boxes; unknown sources rank last
SOURCE_RANK = {OBJECTS: 0, "hands": 0, FACES: 1, "classifier": 2}
Found = list[tuple[str, Detection]]
Boxes = tuple[tuple[BoundingBox, float], ...]


def face_in_body(face: BoundingBox, body: BoundingBox) -> bool:
    upper = BoundingBox(body.left, body.top, body.width, body.height / 2)
    return inside(face, upper) >= SAME_INSIDE


def roll_up(found: Found, taxonomy: Taxonomy) -> Found:
    out = list(found)
    for source, det in found:
        if source not in ROLL_UP_SOURCES:
            continue
        info = taxonomy.resolve(det.label)
        for parent in info.parents if info else ():
            out.append((source, replace(det, label=parent, corroborate=False)))
    return out


def _people_from_faces(found: Found) -> Found:
    """Drops the face detector's Person boxes whose face belongs to a detected body."""
    bodies = [b for s, d in found if s == OBJECTS and d.label == PERSON for b, _ in d.boxes]
    faces = [d.boxes for s, d in found if s == FACES and d.label == FACE]
    if not bodies or not faces:
        return found
    face_boxes = faces[0]
    free = list(bodies)
    out: Found = []
    for source, det in found:
        if source != FACES or det.label != PERSON:
            out.append((source, det))
            continue
        kept: list[tuple[BoundingBox, float]] = []
        # the face detector lists faces and the people it extrapolates in the same order
        for (person, score), (face, _) in zip(det.boxes, face_boxes, strict=True):
            body = next(
                (b for b in free if face_in_body(face, b) or iou(person, b) >= SAME_IOU), None
            )
            if body is None:
                kept.append((person, score))
            else:
                free.remove(body)
        out.append((source, Detection(det.label, det.confidence, tuple(kept))))
    return out


def _by_precision(found: Found) -> Found:
    """Per label, drops a box that shows the same thing as a box already kept from another
    detection (a more precise source's, or another label that rolled up to this one)."""
    ranked = sorted(range(len(found)), key=lambda i: SOURCE_RANK.get(found[i][0], 9))
    kept_by_label: dict[str, list[BoundingBox]] = {}
    result: dict[int, tuple[str, Detection]] = {}
    for i in ranked:
        source, det = found[i]
        earlier = kept_by_label.setdefault(det.label, [])
        kept = [
            (box, score, track)
            for box, score, track in det.instances()
            if not any(same_thing(box, other) for other in earlier)
        ]
        earlier.extend(box for box, _, _ in kept)
        boxes: Boxes = tuple((box, score) for box, score, _ in kept)
        tracks = tuple(t or 0 for _, _, t in kept) if det.tracks else ()
        result[i] = (source, Detection(det.label, det.confidence, boxes, tracks=tracks))
    return [result[i] for i in range(len(found))]


def fuse(found: Found, taxonomy: Taxonomy) -> Found:
    """Roll-up, then people dedup, then per-label box dedup; order of `found` is kept."""
    return _by_precision(_people_from_faces(roll_up(found, taxonomy)))
