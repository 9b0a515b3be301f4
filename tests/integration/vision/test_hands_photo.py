"""A hand on a real photo from a package: npm `tracking`'s example of a hand holding a
PlayStation Move controller (installed by `make js-install` as a devDependency)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from streambet.timeline import Timeline
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.engine import LocalEngine
from tests.support.clips import make_clip

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
PSMOVE = ROOT / "node_modules" / "tracking" / "examples" / "assets" / "psmove.png"


@pytest.fixture(scope="module")
def timeline(engine: LocalEngine, tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    """The hand 0-3 s, the coffee cup (no hand) 3-6 s."""
    hand = np.asarray(Image.open(PSMOVE).convert("RGB"))
    path = tmp_path_factory.mktemp("hands") / "hand-coffee.mp4"
    clip = make_clip(path, [(hand, 3), ("coffee", 3)], fps=10, size=(960, 540))
    return engine.analyze(clip, AnalysisOptions(min_confidence=20))


def test_the_hand_is_found_confidently_with_its_box(timeline: Timeline) -> None:
    hands = [s for s in timeline.samples if s.name == "Hand"]
    assert hands and max(s.confidence for s in hands) >= 80
    boxed = [s for s in hands if s.instances]
    assert boxed and all(s.source == "hands" for s in boxed)
    box = boxed[0].instances[0].box
    # the hand holding the controller, right of the centre, in the middle third
    assert box.left + box.width / 2 > 0.55
    assert 0.3 < box.top + box.height / 2 < 0.8
    assert box.width < 0.4 and box.height < 0.6


def test_no_hand_where_there_is_none(timeline: Timeline) -> None:
    assert not [s for s in timeline.samples if s.name == "Hand" and s.timestamp_ms >= 3500]
