"""Text that says what a seen thing is: a roof sign reading TAXI on a car makes it a taxi.

The classifier rarely tells a taxi from a car when all it sees is the roof (the evaluation
set's taxi shot: Car at calibrated 57, Taxicab never above raw 20), while the OCR reads
the sign at 99. A reading (the whole line or one of its words) that names a taxonomy label
L is evidence of L when L's direct parent was seen in the same sample, so the words refine
a thing seen, never create one: "TAXI" on a Car is a Taxicab, "AMBULANCE" on a Car an
Ambulance. L must lie two levels down at least (a word may not name a thing under a whole
family: "BUS" on a bus stop beside a Vehicle is no bus). Where the thing was seen with
boxes (the object detector's), the reading must lie on one of them, and the claim carries
that box and its track; the classifier's views carry no boxes, so there the same picture
suffices and the claim is where the words are.

The confidence is the product of the reading's and the thing's (its box's, where it has
boxes; both calibrated): both must be right for the claim to be, and they come from
independent models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from streambet.vision.pipeline.boxes import inside
from streambet.vision.pipeline.detectors.base import Detection, TextHit
from streambet.vision.pipeline.taxonomy import Taxonomy

SOURCE = "text:names"
# share of the reading's box that lies on the thing's box
ON_THING = 0.5
_WORD = re.compile(r"[^\W\d_]{3,}")  # words of three letters or more


def _named(text: str, taxonomy: Taxonomy) -> list[str]:
    """Labels the line or one of its words names (case-insensitive, aliases included)."""
    words = _WORD.findall(text)
    names = []
    for phrase in (" ".join(words), *words):
        info = taxonomy.resolve(phrase) if phrase else None
        if info is not None and len(info.parents) >= 2 and info.name not in names:
            names.append(info.name)
    return names


def named_by_text(
    hits: list[TextHit], seen: Mapping[str, Detection], taxonomy: Taxonomy
) -> list[Detection]:
    """Detections of the things the readings of one sample name on what it saw there.
    `hits` carry calibrated confidences; `seen` is the sample's calibrated detections by
    label."""
    found: dict[str, Detection] = {}
    for hit in hits:
        for label in _named(hit.text, taxonomy):
            thing = seen.get(taxonomy.info(label).parents[0])
            if thing is None:
                continue
            box, score, track = hit.box, thing.confidence, None
            if thing.boxes:  # the one the words are on
                holding = [i for i in thing.instances() if inside(hit.box, i[0]) >= ON_THING]
                if not holding:
                    continue
                box, score, track = holding[0]
            confidence = round(hit.confidence * score / 100, 2)
            if label not in found or found[label].confidence < confidence:
                tracks = (track,) if track is not None else ()
                found[label] = Detection(label, confidence, ((box, confidence),), tracks=tracks)
    return list(found.values())
