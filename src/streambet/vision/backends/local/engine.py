"""LocalEngine: decode -> detectors -> fusion -> temporal aggregation -> Timeline, plus
the sound track, on the local CPU.

The decoder runs on its own thread (FFmpeg threads beneath it) while this thread runs the
per-sample detectors (classifier, faces, objects on scene changes or every 4 s), OCR runs
on a third thread on changed frames only, and the sound track (sound events, speech) on a
fourth; onnxruntime, FFmpeg and CTranslate2 release the GIL, so they overlap on two cores.
Each sample's detections are fused through the taxonomy (vision/fusion.py) before they are
aggregated; pose activities run about once a second where people are seen.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from streambet.timeline import (
    Instance,
    LabelSample,
    TextDetection,
    Timeline,
    VideoMetadata,
)
from streambet.vision.backends import AnalysisOptions, CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled, TruncatedVideo, VideoError
from streambet.vision.pipeline import detectors as registry
from streambet.vision.pipeline.activities import ActivitySampler, PoseModel, wants_pose
from streambet.vision.pipeline.aggregate import TemporalAggregator, merge_detections
from streambet.vision.pipeline.audio.track import (
    AudioModels,
    SoundTrackWorker,
    wants_audio,
    wants_speech,
)
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from streambet.vision.pipeline.detectors.base import Detection, Detector, FrameResult, SampleContext
from streambet.vision.pipeline.detectors.shots import ShotDetector
from streambet.vision.pipeline.filters import LabelFilter
from streambet.vision.pipeline.fusion import PERSON, fuse
from streambet.vision.pipeline.probe import probe_video
from streambet.vision.pipeline.taxonomy import get_taxonomy

MODEL_VERSION = (
    "streambet-local-1.1 (efficientnet-lite0, blazeface-full, centernet-mobilenetv3,"
    " pp-ocrv6-small, mediapipe-pose-full, yamnet, whisper-tiny.en)"
)
LabelsFn = Callable[[list[LabelSample]], None]
MAX_SAMPLE_FPS = 30.0
# Skip decoding non-reference frames when there are at least this many frames a sample
# (and the video is at least 24 fps): sample times then move by a frame or two at most.
SKIP_NONREF_MIN_FRAMES_PER_SAMPLE = 8
# Share of the progress bar the frames account for; the sound track is the rest (speech
# to text costs about as much as the frames, sound events alone little).
VIDEO_SHARE_WITH_SPEECH = 0.7
VIDEO_SHARE_WITHOUT_SPEECH = 0.9


class _Progress:
    """Frames and sound track reported as one monotonic fraction, below 1 until the end."""

    def __init__(self, report: ProgressFn | None, video_share: float) -> None:
        self._report = report
        self._video_share = video_share
        self._last = 0.0

    def update(self, video: float, audio: float) -> None:
        done = min(0.99, self._video_share * video + (1 - self._video_share) * audio)
        if self._report is not None and done - self._last >= 0.01:
            self._last = done
            self._report(done)


def _timed(acc: list[float], det: Detector, rgb: NDArray[Any], ctx: SampleContext) -> FrameResult:
    # calls count model runs: a detector that skips a sample (objects between its runs)
    # returns its last result at no cost, which would dilute its ms per call
    runs = det.wants(ctx)
    wall, cpu = time.perf_counter(), time.thread_time()
    result = det.detect(rgb, ctx)
    acc[0] += time.perf_counter() - wall
    acc[1] += time.thread_time() - cpu
    acc[2] += 1 if runs else 0
    return result


class _OcrWorker:
    """Runs one slow detector on a thread of its own; requests beyond a queue of two are
    refused (the caller retries on a later sample), so OCR never holds up the pipeline."""

    def __init__(
        self,
        detector: Detector,
        load: Callable[[], None] | None = None,
        call_lock: threading.Lock | None = None,
    ) -> None:
        self.detector = detector
        self._call_lock = call_lock or threading.Lock()
        self._load = load  # run on the worker thread, so model loading delays no frame
        self.results: list[tuple[int, list[Detection], list[TextDetection]]] = []
        self.timing = [0.0, 0.0, 0]  # wall s, CPU s of this thread, calls
        self._queue: queue.Queue[tuple[NDArray[Any], SampleContext] | None] = queue.Queue(2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="vision-ocr", daemon=True)
        self._thread.start()

    def submit(self, rgb: NDArray[Any], ctx: SampleContext) -> bool:
        try:
            self._queue.put_nowait((rgb, ctx))
        except queue.Full:
            return False
        return True

    def _loop(self) -> None:
        if self._load is not None:
            try:
                self._load()
            except BaseException as exc:
                self._error = exc
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue
            rgb, ctx = item
            try:
                with self._call_lock:
                    found = _timed(self.timing, self.detector, rgb, ctx)
            except BaseException as exc:
                self._error = exc
                continue
            texts = [
                TextDetection(ctx.timestamp_ms, t.text, t.confidence, t.box) for t in found.texts
            ]
            self.results.append((ctx.timestamp_ms, found.detections, texts))

    def close(self, wait: bool = True) -> None:
        if not wait:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and wait:
            raise self._error


class LocalEngine:
    name = "local"

    def __init__(
        self, model_dir: Path, detectors: Sequence[str] = registry.DEFAULT_DETECTORS
    ) -> None:
        self.model_dir = Path(model_dir)
        self.detector_names = tuple(detectors)
        self._loaded: dict[str, Detector] = {}
        self._lock = threading.Lock()
        # MediaPipe graphs are not safe to call from two threads at once; the service may
        # run two analyses on one engine, so every detector call is serialised per detector.
        self._call_locks: dict[str, threading.Lock] = {
            name: threading.Lock() for name in registry.FRAME_DETECTORS
        }
        self._audio = AudioModels(self.model_dir)
        self._pose = PoseModel()
        # per detector in the last run: (wall s, CPU s on the calling thread, calls);
        # bench/analysis.py prints them
        self.timings: dict[str, tuple[float, float, int]] = {}

    def _detector(self, name: str) -> Detector:
        with self._lock:
            if name not in self._loaded:
                det = registry.create(name)
                det.load(self.model_dir)
                self._loaded[name] = det
            return self._loaded[name]

    def warm_up(self) -> None:
        """Loads every model now (a long-running worker calls this at start, so its first
        analysis shows labels within a second instead of after the imports)."""
        for name in self.detector_names:
            self._detector(name)
        with self._pose.lock:
            self._pose.estimator()
        with self._audio.lock:
            self._audio.analyzer(speech=True)

    def _background_ocr(self) -> _OcrWorker:
        with self._lock:
            if "text" in self._loaded:
                return _OcrWorker(self._loaded["text"], call_lock=self._call_locks["text"])
        det = registry.create("text")

        def load() -> None:
            det.load(self.model_dir)
            with self._lock:
                self._loaded.setdefault("text", det)

        return _OcrWorker(det, load, self._call_locks["text"])

    def _detect_all(
        self,
        inline: list[Detector],
        pool: ThreadPoolExecutor,
        timings: dict[str, list[float]],
        rgb: NDArray[Any],
        ctx: SampleContext,
    ) -> list[tuple[str, Detection]]:
        def call(det: Detector) -> FrameResult:
            with self._call_locks[det.name]:
                return _timed(timings[det.name], det, rgb, ctx)

        futures = [(det, pool.submit(call, det)) for det in inline[1:]]
        results = [(inline[0], call(inline[0]))] if inline else []
        results += [(det, future.result()) for det, future in futures]
        return [(det.name, d) for det, result in results for d in result.detections]

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> Timeline:
        return self.run(path, options, progress, cancel)

    def run(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
        on_labels: LabelsFn | None = None,
    ) -> Timeline:
        """`analyze` plus `on_labels`, called with each batch of samples as soon as they are
        confirmed (the first arrive well before the end of the video)."""
        path = Path(path)
        if not 0 < options.sample_fps <= MAX_SAMPLE_FPS:
            raise ValueError(f"sample_fps must be in (0, {MAX_SAMPLE_FPS:g}]")
        meta = probe_video(path, max_seconds=options.max_seconds, max_pixels=options.max_pixels)
        interval = max(1, round(1000 / options.sample_fps))
        filt = LabelFilter.build(
            options.min_confidence,
            options.label_inclusion,
            options.label_exclusion,
            options.category_inclusion,
            options.category_exclusion,
        )
        sound = (
            SoundTrackWorker(self._audio, path, options, cancel) if wants_audio(options) else None
        )
        ocr: _OcrWorker | None = None
        try:
            ocr = self._background_ocr() if "text" in self.detector_names else None
            # shallow copies: the models are shared, per-analysis state (the object
            # detector's schedule) is not, so two analyses on one engine do not mix
            inline = [copy.copy(self._detector(n)) for n in self.detector_names if n != "text"]
            activities = ActivitySampler(self._pose) if wants_pose(options) else None
        except BaseException:
            if ocr is not None:
                ocr.close(wait=False)
            if sound is not None:
                sound.stop()
            raise
        timings: dict[str, list[float]] = {d.name: [0.0, 0.0, 0] for d in inline}
        shots = ShotDetector()
        aggregator = TemporalAggregator()
        stats = DecodeStats()
        stop = threading.Event()
        samples: list[LabelSample] = []
        last_text_check = -(10**9)
        changed, first = False, True
        video_done = 0.0
        share = VIDEO_SHARE_WITH_SPEECH if wants_speech(options) else VIDEO_SHARE_WITHOUT_SPEECH
        bar = _Progress(progress, share if sound is not None else 1.0)
        tax = get_taxonomy()

        def emit(batch: list[LabelSample]) -> None:
            kept = [s for s in batch if filt.allows(s.name, s.confidence)]
            if kept:
                samples.extend(kept)
                if on_labels is not None:
                    on_labels(kept)

        skip_nonref = (
            meta.frame_rate >= 24
            and meta.frame_rate >= SKIP_NONREF_MIN_FRAMES_PER_SAMPLE * options.sample_fps
        )
        frames = decode_frames(
            path,
            sample_interval_ms=interval,
            stats=stats,
            stop=stop,
            reference_frames_only=skip_nonref,
        )
        # the per-sample detectors run side by side (ORT and MediaPipe release the GIL),
        # so a sample costs the slowest detector, not their sum
        pool = ThreadPoolExecutor(max(1, len(inline) - 1), thread_name_prefix="vision-detect")
        try:
            for frame in frames:
                if cancel is not None and cancel.is_set():
                    raise AnalysisCanceled("analysis canceled")
                changed |= shots.update(frame.timestamp_ms, frame.luma)
                if frame.rgb is None:
                    continue
                ctx = SampleContext(
                    frame.timestamp_ms, changed or first, frame.timestamp_ms - last_text_check
                )
                changed, first = False, False
                found = fuse(self._detect_all(inline, pool, timings, frame.rgb, ctx), tax)
                if ocr is not None and ocr.detector.wants(ctx) and ocr.submit(frame.rgb, ctx):
                    last_text_check = frame.timestamp_ms
                merged = merge_detections(found)
                emit(aggregator.update(frame.timestamp_ms, merged, ctx.scene_changed))
                if activities is not None:
                    person = merged[PERSON][0] if PERSON in merged else None
                    emit(activities.update(ctx.timestamp_ms, frame.rgb, person, ctx.scene_changed))
                if meta.duration_ms > 0:
                    video_done = min(1.0, frame.timestamp_ms / meta.duration_ms)
                bar.update(video_done, sound.fraction if sound is not None else 0.0)
            while sound is not None and not sound.wait(0.25):
                if cancel is not None and cancel.is_set():
                    raise AnalysisCanceled("analysis canceled")
                bar.update(1.0, sound.fraction)
        except BaseException:
            stop.set()
            if ocr is not None:
                ocr.close(wait=False)
            if sound is not None:
                sound.stop()
            raise
        finally:
            frames.close()  # joins the decode thread and closes the file now, not at GC
            pool.shutdown(wait=True)
        emit(aggregator.flush_short_video(stats.sampled))
        texts: list[TextDetection] = []
        if ocr is not None:
            ocr.close()
            timings["text"] = ocr.timing
            # OCR runs on a few chosen frames only, so its hits cannot meet the aggregator's
            # consecutive-samples rule; its 0.8 score floor does that filtering instead.
            for ts, detections, found_texts in sorted(ocr.results, key=lambda r: r[0]):
                texts.extend(found_texts)
                emit(
                    [
                        LabelSample(
                            ts,
                            d.label,
                            d.confidence,
                            d.confidence,
                            tuple(Instance(b, c) for b, c in d.boxes),
                            "text",
                        )
                        for d in detections
                    ]
                )
        if activities is not None:
            timings["pose"] = activities.timing
        heard = sound.result() if sound is not None else None
        if sound is not None:
            timings["audio"] = [sound.wall_s, sound.cpu_s, 1]
        self.timings = {k: (v[0], v[1], int(v[2])) for k, v in timings.items()}
        timeline = self._finish(meta, stats, shots, samples, texts, interval, progress)
        if heard is not None:
            heard.samples = [s for s in heard.samples if filt.allows(s.name, s.confidence)]
            heard.labels = {s.name: heard.labels[s.name] for s in heard.samples}
            if on_labels is not None and heard.samples:
                on_labels(heard.samples)
            heard.apply_to(timeline)
        return timeline

    def _finish(
        self,
        meta: VideoMetadata,
        stats: DecodeStats,
        shots: ShotDetector,
        samples: list[LabelSample],
        texts: list[TextDetection],
        interval: int,
        progress: ProgressFn | None,
    ) -> Timeline:
        if stats.frames == 0:
            raise TruncatedVideo("No picture in this video can be decoded; the file is damaged.")
        frame_ms = round(1000 / meta.frame_rate) if meta.frame_rate > 0 else 0
        until = stats.last_timestamp_ms + frame_ms
        tolerance = max(1000, 3 * frame_ms)
        if meta.duration_ms and until + tolerance < meta.duration_ms:
            raise TruncatedVideo(
                f"The video stops at {until / 1000:.1f} s of its {meta.duration_ms / 1000:.1f} s"
                " (it was probably cut short while uploading)."
            )
        video = VideoMetadata(
            meta.codec,
            until if meta.duration_ms == 0 else min(meta.duration_ms, max(until, 0)),
            meta.format,
            meta.frame_rate,
            meta.frame_width,
            meta.frame_height,
            meta.color_range,
        )
        samples.sort(key=lambda s: (s.timestamp_ms, s.name))
        tax = get_taxonomy()
        labels = {s.name: tax.resolve(s.name) or tax.info(s.name) for s in samples}
        if progress is not None:
            progress(1.0)
        return Timeline(
            video=video,
            model_version=MODEL_VERSION,
            sample_interval_ms=interval,
            analysed_from_ms=0,
            analysed_until_ms=until,
            samples=samples,
            labels={k: v for k, v in labels.items() if v is not None},
            shots=shots.finish(until),
            texts=texts,
            engine=self.name,
            skipped_packets=stats.skipped_packets,
        )


__all__ = ["LocalEngine", "VideoError"]
