"""The committed truth file is consistent: with itself, with the footage recipes, and with
the engine's taxonomy (a renamed label would silently stop counting)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.eval.scoring import parse_truth
from scripts.fetch_eval_footage import CLIPS
from streambet.vision.pipeline.taxonomy import get_taxonomy

ROOT = Path(__file__).resolve().parents[3]
DOC = json.loads((ROOT / "bench" / "eval" / "truth.json").read_text())


def test_every_clip_has_a_recipe_with_its_file_name() -> None:
    recipes = {c.id: c.filename for c in CLIPS}
    truth = {c["id"]: c["file"] for c in DOC["clips"]}
    assert truth == recipes
    assert len(truth) >= 12


def test_windows_lie_inside_their_clip_and_labels_are_the_engines() -> None:
    tax = get_taxonomy()
    names = {info.name for info in tax.all_labels()}
    categories = {c for info in tax.all_labels() for c in info.categories}
    for clip in parse_truth(DOC):
        for w in clip.present + clip.acceptable:
            assert 0 <= w.start_ms < w.end_ms <= clip.duration_ms, (clip.id, w)
            assert w.label in names, (clip.id, w.label)
        assert clip.absent <= names, (clip.id, clip.absent - names)
        assert clip.closed <= categories, (clip.id, clip.closed - categories)
        assert all(0 < t < clip.duration_ms for t in clip.cuts_ms), clip.id
        for item in clip.text + clip.speech:
            assert 0 <= item.start_ms < item.end_ms <= clip.duration_ms, (clip.id, item)
        present = {w.label for w in clip.present + clip.acceptable}
        assert not present & clip.absent, (clip.id, present & clip.absent)
