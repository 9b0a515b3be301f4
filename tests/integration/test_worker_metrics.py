"""`streambet worker` has no API: its counters are served on STREAMBET_METRICS_PORT."""

from __future__ import annotations

import requests
from flask import Flask

from streambet.worker import serve_metrics


def test_a_worker_serves_its_metrics(app: Flask) -> None:
    w = app.extensions["streambet"]
    w.metrics.observe_job("succeeded", 1.5)
    server = serve_metrics(w, "127.0.0.1", 0)  # port 0: any free one
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        r = requests.get(f"{base}/metrics", timeout=10)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        assert 'streambet_jobs_total{status="succeeded"} 1.0' in r.text
        assert requests.get(f"{base}/other", timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
