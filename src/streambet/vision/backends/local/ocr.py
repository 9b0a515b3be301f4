"""The one slow detector (OCR) on a thread of its own, and the timing of detector calls."""

from __future__ import annotations

import collections
import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import av
from numpy.typing import NDArray

from streambet.timeline import TextDetection
from streambet.vision.pipeline.detectors.base import (
    NEW_PICTURE,
    Detector,
    FrameResult,
    SampleContext,
    picture_change,
)
from streambet.vision.pipeline.detectors.text import TextDetector, frame_result
from streambet.vision.pipeline.text_regions import TextRegions

# (sample time, the lines in view with their "Text" detection, readings closed by this look)
OcrResult = tuple[int, FrameResult, list[TextDetection]]
_Job = tuple[NDArray[Any], SampleContext, "av.VideoFrame | None"]


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
    """Runs OCR on a thread of its own, beside the other detectors. The run offers it every
    sample, in order; the thread decides which ones to look at (`TextDetector.wants`, from
    what it saw before: its last look, the last cut, text in view) and makes every look it
    decides on. With `QUEUE` samples waiting, `offer` waits for the thread, so what is read
    depends on the pictures, never on how busy the machine is (while the thread loads the
    model, samples wait without a bound: loading holds up no picture). Results wait in
    `results` until the run takes them."""

    QUEUE = 4  # 2 s of samples at 2 a second: how far settled labels may wait for OCR

    def __init__(
        self,
        detector: TextDetector,
        load: Callable[[], None] | None = None,
        call_lock: threading.Lock | None = None,
    ) -> None:
        self.detector = detector
        self._call_lock = call_lock or threading.Lock()
        self._load = load  # run on the worker thread, so model loading delays no frame
        self.results: queue.SimpleQueue[OcrResult] = queue.SimpleQueue()
        self.timing = [0.0, 0.0, 0]  # wall s, CPU s of this thread, looks
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._room = threading.Condition()  # notified as the thread takes a sample
        self._loading = load is not None
        self._in_flight: collections.deque[int] = collections.deque()  # times, oldest first
        self._regions = TextRegions()
        # what the thread saw: its last look (time, thumbnail), the last cut, text in view
        self._looked_ms = -(10**9)
        self._looked_luma: NDArray[Any] | None = None
        self._cut_ms = 0
        self._text_in_view = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="vision-ocr", daemon=True)
        self._thread.start()

    def offer(
        self, rgb: NDArray[Any], ctx: SampleContext, picture: av.VideoFrame | None = None
    ) -> None:
        """One sample (`ctx.luma` its thumbnail); `picture` is the decoded frame at its own
        size, which lines are cropped from when it is larger than `rgb`."""
        self._in_flight.append(ctx.timestamp_ms)
        self._queue.put((rgb, ctx, picture))
        with self._room:
            self._room.wait_for(lambda: self._loading or self._queue.qsize() <= self.QUEUE)

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
        with self._room:
            self._loading = False
            self._room.notify_all()
        while (item := self._take()) is not None:
            rgb, ctx, picture = item
            try:
                if self._error is None and self._wants(ctx):
                    self._look(rgb, ctx, picture)
            except BaseException as exc:
                self._error = exc
            finally:
                self._in_flight.popleft()

    def _take(self) -> _Job | None:
        item = self._queue.get()
        with self._room:
            self._room.notify_all()
        return item

    def _wants(self, ctx: SampleContext) -> bool:
        if ctx.scene_changed:
            self._cut_ms = ctx.timestamp_ms
        seen = dataclasses.replace(
            ctx,
            ms_since_text_check=ctx.timestamp_ms - self._looked_ms,
            change_since_text_check=(
                picture_change(ctx.luma, self._looked_luma) if ctx.luma is not None else NEW_PICTURE
            ),
            ms_since_cut=ctx.timestamp_ms - self._cut_ms,
            text_in_view=self._text_in_view,
        )
        if not self.detector.wants(seen):
            return False
        self._looked_ms, self._looked_luma = ctx.timestamp_ms, ctx.luma
        return True

    def _look(self, rgb: NDArray[Any], ctx: SampleContext, picture: av.VideoFrame | None) -> None:
        """Finds the lines, reads those not read before (cropped at full resolution)."""
        det = self.detector
        wall, cpu = time.perf_counter(), time.thread_time()
        with self._call_lock:
            lines = det.find(rgb)
            unread = self._regions.unread(lines)
            full = picture.to_ndarray(format="rgb24") if picture is not None and unread else None
            texts = det.read([lines[i] for i in unread], rgb, full)
        readings = dict(zip(unread, texts, strict=True))
        in_view, closed = self._regions.update(ctx.timestamp_ms, lines, readings)
        self._text_in_view = bool(in_view)
        self.timing[0] += time.perf_counter() - wall
        self.timing[1] += time.thread_time() - cpu
        self.timing[2] += 1
        self.results.put((ctx.timestamp_ms, frame_result(in_view), closed))

    def close(self, wait: bool = True, end_ms: int | None = None) -> None:
        """Reads what is queued (`wait`) or drops it, then stops the thread; with `wait`,
        re-raises the thread's error, and closes the lines still in view at `end_ms`."""
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
        if wait and end_ms is not None:
            self.results.put((end_ms, FrameResult(), self._regions.close(end_ms)))
