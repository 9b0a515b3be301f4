"""Model cache: the legacy .pth reads without torch, the ONNX graph classifies real
photos, and two processes preparing the cache at once leave one good file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from streambet.vision.model_cache.prepare import (
    EFFICIENTNET_FILE,
    efficientnet_source,
    ensure_efficientnet,
)
from streambet.vision.model_cache.pth import PthFormatError, read_legacy_pth
from streambet.vision.pipeline.detectors.base import SampleContext
from streambet.vision.pipeline.detectors.classifier import ClassifierDetector
from tests.support.clips import photo

pytestmark = pytest.mark.slow


def test_legacy_pth_reads_every_tensor() -> None:
    weights = read_legacy_pth(efficientnet_source())
    assert len(weights) == 296
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert weights["_fc.weight"].dtype == np.float32
    assert np.isfinite(weights["_fc.weight"]).all()


def test_pth_reader_refuses_other_files(tmp_path: Path) -> None:
    bogus = tmp_path / "x.pth"
    bogus.write_bytes(b"PK\x03\x04 zip-format checkpoint")
    with pytest.raises(PthFormatError):
        read_legacy_pth(bogus)


def test_classifier_on_real_photos(model_dir: Path) -> None:
    det = ClassifierDetector()
    det.load(model_dir)
    ctx = SampleContext(0, True, 0)
    coffee = {d.label: d.confidence for d in det.detect(photo("coffee"), ctx).detections}
    assert coffee["Espresso"] >= 80 and coffee["Beverage"] >= coffee["Espresso"]
    cat = {d.label: d.confidence for d in det.detect(photo("chelsea"), ctx).detections}
    assert cat["Cat"] >= 80 and cat["Animal"] >= cat["Cat"]
    assert "Espresso" not in cat


def test_concurrent_prepare_leaves_one_valid_model(tmp_path: Path) -> None:
    # the classifier's conversion only: prepare_all also fetches the object detector
    # with npm and unpacks the audio models, which have their own tests
    code = (
        "import sys; from pathlib import Path; from streambet.vision.model_cache.prepare import"
        " ensure_efficientnet; ensure_efficientnet(Path(sys.argv[1]))"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [EFFICIENTNET_FILE]
    onnx.checker.check_model(str(tmp_path / EFFICIENTNET_FILE))
    built = (tmp_path / EFFICIENTNET_FILE).stat().st_mtime_ns
    assert ensure_efficientnet(tmp_path) == tmp_path / EFFICIENTNET_FILE
    assert (tmp_path / EFFICIENTNET_FILE).stat().st_mtime_ns == built  # nothing rebuilt
