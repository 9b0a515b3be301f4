"""How long the Rekognition backend's own work takes, next to a same-run baseline.

Maps synthetic GetLabelDetection pages (the documented shape, 1000 labels a page) to a
Timeline and compares two timelines in agreement mode. The baseline is json.loads of the
same pages: the cost of merely reading the response. Prints figures; never pass/fail.

    .venv/bin/python bench/rekognition.py [pages]
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from streambet.vision.backends.rekognition.mapping import timeline_from_pages
from streambet.vision.outputs.agreement import compare_timelines

NAMES = ["Person", "Dog", "Car", "Ball", "Tree", "Outdoors", "Crowd", "Bicycle", "Cat", "Sky"]


def make_pages(n_pages: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pages = []
    t = 0
    for p in range(n_pages):
        labels = []
        for _ in range(1000):
            t += rng.choice((0, 0, 0, 500))
            name = rng.choice(NAMES)
            conf = round(rng.uniform(50, 100), 2)
            box = {"Width": 0.2, "Height": 0.3, "Left": rng.random() * 0.8, "Top": 0.1}
            labels.append(
                {
                    "Timestamp": t,
                    "Label": {
                        "Name": name,
                        "Confidence": conf,
                        "Instances": [{"BoundingBox": box, "Confidence": conf}],
                        "Parents": [{"Name": "Thing"}],
                        "Aliases": [],
                        "Categories": [{"Name": "Things"}],
                    },
                }
            )
        page: dict[str, Any] = {"JobStatus": "SUCCEEDED", "LabelModelVersion": "3.0"}
        page["Labels"] = labels
        if p == 0:
            page["VideoMetadata"] = {"Codec": "h264", "DurationMillis": t + 500}
        pages.append(page)
    return pages


def best_of(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n_pages = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    pages_a, pages_b = make_pages(n_pages, 1), make_pages(n_pages, 2)
    raw = json.dumps(pages_a)
    baseline = best_of(lambda: json.loads(raw))
    mapping = best_of(lambda: timeline_from_pages(pages_a))
    ta, tb = timeline_from_pages(pages_a), timeline_from_pages(pages_b)
    agreement = best_of(lambda: compare_timelines(ta, tb))
    labels = n_pages * 1000
    print(f"{labels} label detections in {n_pages} pages ({len(raw) / 1e6:.1f} MB of JSON)")
    print(f"baseline json.loads     {baseline * 1000:8.1f} ms")
    print(f"pages -> Timeline       {mapping * 1000:8.1f} ms  ({mapping / baseline:.2f}x baseline)")
    ratio = agreement / baseline
    samples = f"{len(ta.samples)} + {len(tb.samples)} samples"
    print(f"compare_timelines       {agreement * 1000:8.1f} ms  ({ratio:.2f}x baseline, {samples})")


if __name__ == "__main__":
    main()
