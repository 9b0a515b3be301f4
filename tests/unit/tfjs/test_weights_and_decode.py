"""Weight-manifest decoding and the detector's pure post-processing."""

from __future__ import annotations

import numpy as np
import pytest

from streambet.vision.model_cache.tfjs import UnsupportedModelError
from streambet.vision.model_cache.tfjs.graph import _decode_weight
from streambet.vision.pipeline.detectors.coco import BY_NAME, COCO_LABELS, DEFAULT_THRESHOLD
from streambet.vision.pipeline.detectors.objects import decode, letterbox, nms


def test_float16_quantised_weights_dequantise_to_float32():
    values = np.array([[0.5, -1.25, 3.0e-4], [65504.0, 0.0, -2.0]], np.float16)
    data = b"\x00" * 4 + values.astype("<f2").tobytes()
    spec = {"name": "w", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "float16"}}
    array, end = _decode_weight(spec, data, 4)
    assert array.dtype == np.float32
    np.testing.assert_array_equal(array, values.astype(np.float32))
    assert end == 4 + 12


def test_plain_int32_weights_and_unsupported_quantisation():
    data = np.array([3, -1], "<i4").tobytes()
    array, end = _decode_weight({"name": "k", "shape": [2], "dtype": "int32"}, data, 0)
    np.testing.assert_array_equal(array, [3, -1])
    assert end == 8
    spec = {"name": "q", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8"}}
    with pytest.raises(UnsupportedModelError, match="quantisation"):
        _decode_weight(spec, data, 0)


def test_label_table_covers_coco_in_order_with_display_names():
    assert [label.index for label in COCO_LABELS] == list(range(80))
    assert COCO_LABELS[0].name == "Person"
    assert BY_NAME["Sports Ball"].coco == "sports ball"
    assert BY_NAME["Mobile Phone"].coco == "cell phone"
    assert len(BY_NAME) == 80  # display names are unique
    assert all(label.threshold >= DEFAULT_THRESHOLD for label in COCO_LABELS)


def test_nms_keeps_the_best_of_overlapping_boxes_only():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.6, 0.9, 0.5], np.float32)
    assert nms(boxes, scores, iou=0.5) == [1, 2]
    assert nms(boxes, scores, iou=0.95) == [1, 0, 2]


def test_decode_maps_letterboxed_pixels_back_to_frame_ratios():
    # a 1000x500 frame letterboxed to 512: scale 0.512, image in the top 256 rows
    rows = np.array(
        [
            [51.2, 25.6, 256.0, 128.0, 0.80, 0],  # person
            [56.0, 28.0, 250.0, 125.0, 0.70, 0],  # same person, suppressed
            [300.0, 10.0, 400.0, 100.0, 0.70, 2],  # car
            [10.0, 10.0, 20.0, 20.0, 0.30, 2],  # below the car floor
            [0.0, 0.0, 600.0, 300.0, 0.40, 33],  # kite below its raised floor
        ],
        np.float32,
    )
    hits = decode(rows[None], scale=0.512, width=1000, height=500)
    assert [(h.label, h.confidence) for h in hits] == [("Person", 80.0), ("Car", 70.0)]
    person = hits[0].box
    assert person.left == pytest.approx(0.1)
    assert person.top == pytest.approx(0.1)
    assert person.width == pytest.approx(0.4)
    assert person.height == pytest.approx(0.4)
    assert hits[1].box.top + hits[1].box.height <= 1.0


def test_letterbox_keeps_aspect_and_pads_black():
    frame = np.full((100, 200, 3), 200, np.uint8)
    batch, scale = letterbox(frame, 64)
    assert batch.shape == (1, 64, 64, 3)
    assert scale == pytest.approx(0.32)
    assert batch[0, :32].min() == pytest.approx(200)
    assert batch[0, 32:].max() == 0
