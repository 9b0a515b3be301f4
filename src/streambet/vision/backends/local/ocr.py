"""The one slow detector (OCR) on a thread of its own, and the timing of detector calls."""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from numpy.typing import NDArray

from streambet.timeline import TextDetection
from streambet.vision.pipeline.detectors.base import Detection, Detector, FrameResult, SampleContext

OcrResult = tuple[int, list[Detection], list[TextDetection]]


def timed(acc: list[float], det: Detector, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
    """`acc` is [wall s, CPU s of this thread, calls]. Calls count model runs: a detector
    that skips a sample (objects between its runs) returns its last result at no cost,
    which would dilute its ms per call."""
    runs = det.wants(ctx)
    wall, cpu = time.perf_counter(), time.thread_time()
    result = det.detect(rgb, ctx)
    acc[0] += time.perf_counter() - wall
    acc[1] += time.thread_time() - cpu
    acc[2] += 1 if runs else 0
    return result


class OcrWorker:
    """Runs one slow detector on a thread of its own; requests beyond a queue of two are
    refused (the caller retries on a later sample), so OCR never holds up the pipeline.
    Results wait in `results` until the run takes them."""

    def __init__(
        self,
        detector: Detector,
        load: Callable[[], None] | None = None,
        call_lock: threading.Lock | None = None,
    ) -> None:
        self.detector = detector
        self._call_lock = call_lock or threading.Lock()
        self._load = load  # run on the worker thread, so model loading delays no frame
        self.results: queue.SimpleQueue[OcrResult] = queue.SimpleQueue()
        self.timing = [0.0, 0.0, 0]  # wall s, CPU s of this thread, calls
        self._queue: queue.Queue[tuple[NDArray[Any], SampleContext] | None] = queue.Queue(2)
        self._in_flight: collections.deque[int] = collections.deque()  # times, oldest first
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="vision-ocr", daemon=True)
        self._thread.start()

    def submit(self, rgb: NDArray[Any], ctx: SampleContext) -> bool:
        self._in_flight.append(ctx.timestamp_ms)
        try:
            self._queue.put_nowait((rgb, ctx))
        except queue.Full:
            self._in_flight.pop()
            return False
        return True

    def pending_from(self) -> int | None:
        """The earliest sample time whose text is still being read, or None."""
        try:
            return self._in_flight[0]
        except IndexError:
            return None

    def taken(self) -> list[OcrResult]:
        """The results ready now, in the order they were asked for."""
        out: list[OcrResult] = []
        while True:
            try:
                out.append(self.results.get_nowait())
            except queue.Empty:
                return out

    def _loop(self) -> None:
        if self._load is not None:
            try:
                self._load()
            except BaseException as exc:
                self._error = exc
        while (item := self._queue.get()) is not None:
            rgb, ctx = item
            try:
                if self._error is None:
                    self._read(rgb, ctx)
            except BaseException as exc:
                self._error = exc
            finally:
                self._in_flight.popleft()

    def _read(self, rgb: NDArray[Any], ctx: SampleContext) -> None:
        with self._call_lock:
            found = timed(self.timing, self.detector, rgb, ctx)
        texts = [TextDetection(ctx.timestamp_ms, t.text, t.confidence, t.box) for t in found.texts]
        self.results.put((ctx.timestamp_ms, found.detections, texts))

    def close(self, wait: bool = True) -> None:
        """Reads what is queued (`wait`) or drops it, then stops the thread; with `wait`,
        re-raises the thread's error."""
        if not wait:
            while True:
                try:
                    self._queue.get_nowait()
                    self._in_flight.popleft()
                except queue.Empty:
                    break
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and wait:
            raise self._error
