"""Prometheus metrics, one registry per application (tests build many apps in one process).

Request counts and latencies are recorded by the API middleware; job counts and durations
by the job runner; queue depth and analyses by status are read when /metrics is scraped.
Under several gunicorn workers (`streambet serve --workers N` sets PROMETHEUS_MULTIPROC_DIR)
the counters live in files shared by the workers, so any worker's /metrics reports the sum
of all of them, not its own share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
JOB_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)


class _Scraped(Collector):
    """Gauges computed at scrape time from callables (queue depth, analyses by status)."""

    def __init__(
        self,
        queue_depth: Callable[[], int],
        status_counts: Callable[[], dict[str, int]],
    ) -> None:
        self._queue_depth = queue_depth
        self._status_counts = status_counts

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("streambet_queue_depth", "Tasks waiting in the job queue")
        try:
            depth.add_metric([], self._queue_depth())
        except Exception:  # a scrape must not fail because one dependency is down
            depth.add_metric([], float("nan"))
        yield depth
        by_status = GaugeMetricFamily(
            "streambet_analyses", "Analysis jobs by status", labels=["status"]
        )
        try:
            for status, count in sorted(self._status_counts().items()):
                by_status.add_metric([status], count)
        except Exception:
            pass
        yield by_status


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._scraped = CollectorRegistry()  # read per scrape, never summed across workers
        self.requests = Counter(
            "streambet_http_requests",
            "HTTP requests by endpoint, method and status",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "streambet_http_request_seconds",
            "HTTP request latency by endpoint",
            ["endpoint", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.jobs = Counter(
            "streambet_jobs",
            "Finished analysis jobs by outcome",
            ["status"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "streambet_job_seconds",
            "Analysis job run time (claim to finish) by outcome",
            ["status"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """`endpoint` is a route's rule (or "unmatched"), never a raw path; a method name
        outside HTTP's own is counted as "OTHER", so no client can grow the label set."""
        method = method if method in METHODS else "OTHER"
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint, method).observe(seconds)

    def observe_job(self, status: str, seconds: float) -> None:
        self.jobs.labels(status).inc()
        self.job_seconds.labels(status).observe(seconds)

    def add_scraped(
        self, queue_depth: Callable[[], int], status_counts: Callable[[], dict[str, int]]
    ) -> None:
        self._scraped.register(_Scraped(queue_depth, status_counts))

    def render(self) -> bytes:
        counted = self.registry
        if os.environ.get(MULTIPROC_ENV):
            counted = CollectorRegistry()
            multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
        return generate_latest(counted) + generate_latest(self._scraped)
