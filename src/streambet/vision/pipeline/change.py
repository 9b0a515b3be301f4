"""Whether a sampled picture changed: a small grey thumbnail per sample and the largest
block difference between two of them.

Area-averaged (not the decoder's stride-sampled luma, whose aliasing makes a slow zoom
look like motion): on the evaluation footage and bench/analysis.py's clip, a slow zoom
over a photo changes every block by 3-9 grey levels from one sample to the next, people
40-100 px tall walking across a fixed camera's picture change a block by 45-95, and one
person 40 px tall in a 640x360 frame who moves 4 or 8 px by 15 or 29
(tests/integration/objects/test_tiles_and_tracks.py's crowd).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

THUMB = (64, 36)  # width, height
BLOCK = 4  # thumbnail pixels a side of a block


def thumbnail(rgb: NDArray[Any]) -> NDArray[Any]:
    """The picture as THUMB grey levels (int16, so differences do not wrap)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small: NDArray[Any] = cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA)
    return small.astype(np.int16)


def block_change(a: NDArray[Any], b: NDArray[Any]) -> float:
    """The largest mean grey-level difference (0-255) of a BLOCK x BLOCK block."""
    diff = np.abs(a - b).astype(np.float32)
    height, width = diff.shape
    blocks = cv2.resize(diff, (width // BLOCK, height // BLOCK), interpolation=cv2.INTER_AREA)
    return float(blocks.max())


def mean_change(a: NDArray[Any], b: NDArray[Any]) -> float:
    """The mean grey-level difference of two thumbnails (0-255): people walking across a
    fixed camera's picture change it by 3-5, a new picture by tens."""
    return float(np.abs(a - b).mean())
