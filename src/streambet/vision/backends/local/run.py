"""One analysis on the local engine, fed as it goes.

`LocalEngine.start(options, video, on_labels=...)` returns a LocalRun. `feed(frame)` takes
decoded pictures in presentation order (RGB at analysis size on the sampled ones, the luma
thumbnail on every one, for cuts), `feed_audio(pcm, start_ms)` the sound track in order,
and `finish()` returns the Timeline of what was fed. Nothing here assumes a file, a known
duration or an end: a live stream feeds the same calls with its own clock's milliseconds.

Per picture sample the frame detectors run side by side (onnxruntime and MediaPipe release
the GIL, so a sample costs the slowest detector, not their sum); OCR runs on a thread of
its own on changed frames only; scores are calibrated (calibration.py), detections are
fused through the taxonomy, then aggregated over time, and pose activities run about once
a second where people are seen. What OCR reads may name a thing its sample saw (a taxi's
roof sign on a car: text_names.py), so the run keeps each sample's detections until OCR
has answered for it.
Confirmed label samples go to `on_labels` as they happen (from the thread that fed them).
With `keep=False` the run keeps no samples, texts or words itself (the caller has them
through the callbacks), so it can follow a stream for hours in bounded memory.
"""

from __future__ import annotations

import collections
import copy
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import av
from numpy.typing import NDArray

from streambet.timeline import (
    Instance,
    LabelInfo,
    LabelSample,
    TextDetection,
    Timeline,
    TranscriptWord,
    VideoMetadata,
)
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.ocr import OcrResult, OcrWorker, timed
from streambet.vision.control import CancelFlag
from streambet.vision.errors import AnalysisCanceled, TruncatedVideo
from streambet.vision.pipeline.activities import ActivitySampler
from streambet.vision.pipeline.aggregate import TemporalAggregator, merge_detections
from streambet.vision.pipeline.audio.stream import AudioStream, Heard
from streambet.vision.pipeline.calibration import Calibration
from streambet.vision.pipeline.change import thumbnail
from streambet.vision.pipeline.decode import DecodedFrame, DecodeStats
from streambet.vision.pipeline.detectors.base import (
    Detection,
    Detector,
    FrameResult,
    SampleContext,
)
from streambet.vision.pipeline.detectors.shots import ShotDetector
from streambet.vision.pipeline.filters import LabelFilter
from streambet.vision.pipeline.fusion import PERSON, fuse
from streambet.vision.pipeline.taxonomy import get_taxonomy
from streambet.vision.pipeline.text_names import SOURCE as TEXT_NAMES
from streambet.vision.pipeline.text_names import named_by_text

if TYPE_CHECKING:
    from streambet.vision.backends.local.engine import LocalEngine

MODEL_VERSION = (
    "streambet-local-1.2 (efficientnet-lite0, blazeface-full, mediapipe-hands-lite,"
    " centernet-mobilenetv3, pp-ocrv6-small, mediapipe-pose-full, yamnet, whisper-tiny.en;"
    " calibrated)"
)
MAX_SAMPLE_FPS = 30.0
# Sound is analysed in blocks of this many seconds for speech (a file's whole track is
# one block up to ten minutes long); a live stream wants shorter ones.
AUDIO_BLOCK_SECONDS = 600
RECENT_SAMPLES = 256
LabelsFn = Callable[[list[LabelSample]], None]
WordsFn = Callable[[list[TranscriptWord]], None]


@dataclass(frozen=True)
class Coverage:
    """How far a run has got, in stream milliseconds."""

    from_ms: int  # where the analysed pictures start
    until_ms: int  # pictures analysed up to here (the last one fed, plus a frame)
    settled_ms: int  # label samples before this are final (none waits for confirmation)
    audio_until_ms: int  # sound events, and words when speech is on, final up to here


class _Cancel:
    """The caller's cancel flag or the run's own stop, whichever is set."""

    def __init__(self, own: threading.Event, caller: CancelFlag | None) -> None:
        self._own, self._caller = own, caller

    def is_set(self) -> bool:
        return self._own.is_set() or (self._caller is not None and self._caller.is_set())


class LocalRun:
    def __init__(
        self,
        engine: LocalEngine,
        options: AnalysisOptions,
        video: VideoMetadata,
        *,
        on_labels: LabelsFn | None = None,
        on_words: WordsFn | None = None,
        keep: bool = True,
        cancel: CancelFlag | None = None,
        start_ms: int | None = None,
        audio_block_seconds: int = AUDIO_BLOCK_SECONDS,
    ) -> None:
        if not 0 < options.sample_fps <= MAX_SAMPLE_FPS:
            raise ValueError(f"sample_fps must be in (0, {MAX_SAMPLE_FPS:g}]")
        self.options = options
        self.video = video
        self.sample_interval_ms = max(1, round(1000 / options.sample_fps))
        self.audio_block_seconds = audio_block_seconds
        self._engine = engine
        self._on_labels = on_labels
        self._on_words = on_words
        self._keep = keep
        self._stopped = threading.Event()
        self._cancel = _Cancel(self._stopped, cancel)
        self._finished = False
        self._filter = LabelFilter.build(
            options.min_confidence,
            options.label_inclusion,
            options.label_exclusion,
            options.category_inclusion,
            options.category_exclusion,
        )
        self._tax = get_taxonomy()
        self._calibration: Calibration = engine.calibration
        self._frame_ms = round(1000 / video.frame_rate) if video.frame_rate > 0 else 0
        self._ocr: OcrWorker | None = None
        try:
            self._ocr = engine.background_ocr() if "text" in engine.detector_names else None
            # shallow copies: the models are shared, per-analysis state (the object
            # detector's schedule) is not, so two analyses on one engine do not mix
            self._inline: list[Detector] = [
                copy.copy(engine.detector(n)) for n in engine.detector_names if n != "text"
            ]
            pose = options.features.pose
            self._activities = ActivitySampler(engine.pose) if pose else None
        except BaseException:
            if self._ocr is not None:
                self._ocr.close(wait=False)
            raise
        self._pool = ThreadPoolExecutor(
            max(1, len(self._inline) - 1), thread_name_prefix="vision-detect"
        )
        self._timings: dict[str, list[float]] = {d.name: [0.0, 0.0, 0] for d in self._inline}
        self._shots = ShotDetector(keep_history=keep)
        # the detections by label of the samples OCR has not answered for yet (a few; the
        # bound only matters if its thread failed)
        self._recent: collections.deque[tuple[int, dict[str, Detection]]] = collections.deque(
            maxlen=RECENT_SAMPLES
        )
        self._aggregator = TemporalAggregator()
        self._sound: AudioStream | None = None
        self._sound_checked = not options.features.audio  # no sound wanted: nothing to load
        # State of the picture pass.
        self._from_ms = start_ms
        self._frames = 0
        self._sampled = 0
        self._last_ms = -1
        self._changed, self._first = False, True
        # What was found. Samples, texts and words only with `keep`; labels always (a
        # label is one entry however often it is seen).
        self._lock = threading.Lock()  # callbacks and these fields, fed from two threads
        self._samples: list[LabelSample] = []
        self._sound_samples: list[LabelSample] = []
        self._labels: dict[str, LabelInfo] = {}
        self._sound_labels: dict[str, LabelInfo] = {}
        self._texts: list[TextDetection] = []
        self._words: list[TranscriptWord] = []

    # -- feeding --

    def feed(self, frame: DecodedFrame) -> None:
        """One decoded picture, in presentation order; pictures with RGB are samples."""
        self._check_open()
        if self._from_ms is None:
            self._from_ms = frame.timestamp_ms
        self._frames += 1
        self._last_ms = max(self._last_ms, frame.timestamp_ms)
        self._changed |= self._shots.update(frame.timestamp_ms, frame.luma)
        if frame.rgb is not None:
            self._sample(frame.timestamp_ms, frame.rgb, frame.luma, frame.picture)
        if self._ocr is not None:
            self._take_ocr(self._ocr.taken())

    def feed_audio(self, pcm: NDArray[Any], start_ms: int) -> None:
        """Mono 16 kHz float PCM of the sound track, in order, starting at `start_ms`.
        Runs the sound models on the calling thread: call it from a thread of its own to
        overlap the pictures."""
        self._check_open()
        sound = self._sound_stream()
        if sound is None:
            return
        wall, cpu = time.perf_counter(), time.thread_time()
        heard = sound.feed(pcm, start_ms, self._cancel)
        self._time("audio", wall, cpu)
        self._take_sound(heard)

    def end_audio(self) -> None:
        """The sound track has ended (or stops for a while): analyses what is buffered
        now, on the calling thread, instead of at `finish`. Sound fed later starts anew."""
        self._check_open()
        if self._sound is None:
            return
        wall, cpu = time.perf_counter(), time.thread_time()
        heard = self._sound.finish(self._cancel)
        self._time("audio", wall, cpu, call=False)
        self._take_sound(heard)

    def finish(self, decoded: DecodeStats | None = None) -> Timeline:
        """Flushes everything in flight and returns the Timeline of what was fed.
        `decoded` (the decoder's statistics) says where decoding really stopped, which
        may be after the last picture it handed over, and how many packets it skipped."""
        self._check_open()
        try:
            self._emit(self._aggregator.flush_short_video(self._sampled))
            if self._ocr is not None:
                self._ocr.close(end_ms=self._last_ms + self._frame_ms)
                self._timings["text"] = self._ocr.timing
                self._take_ocr(self._ocr.taken())
                self._ocr = None
            if self._sound is not None:
                wall, cpu = time.perf_counter(), time.thread_time()
                heard = self._sound.finish(self._cancel)
                self._time("audio", wall, cpu, call=False)
                self._take_sound(heard)
            if self._activities is not None:
                self._timings["pose"] = self._activities.timing
            timeline = self._timeline(decoded)
        finally:
            self.close()
        self._finished = True
        return timeline

    def close(self) -> None:
        """Stops the run without a result (idempotent; `finish` calls it): a feed_audio
        running on another thread stops at its next step with AnalysisCanceled."""
        self._stopped.set()
        if self._ocr is not None:
            self._ocr.close(wait=False)
            self._ocr = None
        self._pool.shutdown(wait=True)

    def __enter__(self) -> LocalRun:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- what the run knows so far --

    @property
    def coverage(self) -> Coverage:
        start = self._from_ms if self._from_ms is not None else 0
        until = self._last_ms + self._frame_ms if self._frames else start
        pending = [self._aggregator.pending_from()]
        if self._ocr is not None:
            pending.append(self._ocr.pending_from())
        settled = min([until, *(p for p in pending if p is not None)])
        sound = self._sound.covered_until_ms if self._sound is not None else 0
        return Coverage(start, until, settled, sound)

    @property
    def audio_position_ms(self) -> int:
        """How far the sound models have got (finer than coverage; for progress bars)."""
        return self._sound.position_ms if self._sound is not None else 0

    @property
    def timings(self) -> dict[str, tuple[float, float, int]]:
        """Per detector: wall s, CPU s on the calling thread, model runs."""
        return {k: (v[0], v[1], int(v[2])) for k, v in self._timings.items()}

    # -- pictures --

    def _sample(
        self,
        timestamp_ms: int,
        rgb: NDArray[Any],
        luma: NDArray[Any],
        picture: av.VideoFrame | None = None,
    ) -> None:
        self._sampled += 1
        ctx = SampleContext(
            timestamp_ms, self._changed or self._first, 0, luma=luma, picture=thumbnail(rgb)
        )
        self._changed, self._first = False, False
        found = fuse(self._calibration.apply(self._detect_all(rgb, ctx)), self._tax)
        if self._ocr is not None:
            self._ocr.offer(rgb, ctx, picture)
        merged = merge_detections(found)
        if self._ocr is not None:  # what text read on this sample may name (_named_by_text)
            self._recent.append((timestamp_ms, {k: d for k, (d, _) in merged.items()}))
        self._emit(self._aggregator.update(timestamp_ms, merged, ctx.scene_changed))
        if self._activities is not None:
            person = merged[PERSON][0] if PERSON in merged else None
            self._emit(self._activities.update(timestamp_ms, rgb, person, ctx.scene_changed))

    def _detect_all(self, rgb: NDArray[Any], ctx: SampleContext) -> list[tuple[str, Detection]]:
        locks = self._engine.call_locks

        def call(det: Detector) -> Any:
            with locks[det.name]:
                return timed(self._timings[det.name], det, rgb, ctx)

        inline = self._inline
        futures = [(det, self._pool.submit(call, det)) for det in inline[1:]]
        results = [(inline[0], call(inline[0]))] if inline else []
        results += [(det, future.result()) for det, future in futures]
        return [(det.name, d) for det, result in results for d in result.detections]

    def _take_ocr(self, results: list[OcrResult]) -> None:
        # OCR runs on a few chosen frames only, so its hits cannot meet the aggregator's
        # consecutive-samples rule; its 0.8 score floor does that filtering instead.
        for ts, read, texts in results:
            calibrated = self._calibration.apply([("text", d) for d in read.detections])
            detections = [d for _, d in calibrated]
            if self._keep:
                with self._lock:
                    self._texts.extend(texts)
            self._emit(
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
            self._emit(self._named_by_text(ts, read, detections))

    def _named_by_text(
        self, ts: int, read: FrameResult, calibrated: list[Detection]
    ) -> list[LabelSample]:
        """What the readings of the sample at `ts` say the things seen there are
        (pipeline/text_names.py), with the readings' confidences calibrated as the Text
        detection's boxes were (one box per line, in order)."""
        recent = self._recent
        while recent and recent[0][0] < ts:  # OCR answers in order: earlier ones are done
            recent.popleft()
        seen = recent[0][1] if recent and recent[0][0] == ts else None
        if seen is None or not read.texts or not calibrated:
            return []
        scores = [score for _, score in calibrated[0].boxes]
        hits = [replace(h, confidence=c) for h, c in zip(read.texts, scores, strict=True)]
        return [
            LabelSample(
                ts,
                d.label,
                d.confidence,
                d.confidence,
                tuple(Instance(b, c, t) for b, c, t in d.instances()),
                TEXT_NAMES,
            )
            for d in named_by_text(hits, seen, self._tax)
        ]

    def _emit(self, batch: list[LabelSample]) -> None:
        kept = [s for s in batch if self._filter.allows(s.name, s.confidence)]
        if not kept:
            return
        with self._lock:
            for s in kept:
                if s.name not in self._labels:
                    info = self._tax.resolve(s.name) or self._tax.info(s.name)
                    if info is not None:
                        self._labels[s.name] = info
            if self._keep:
                self._samples.extend(kept)
            if self._on_labels is not None:
                self._on_labels(kept)

    # -- sound --

    def _sound_stream(self) -> AudioStream | None:
        """Loaded on the first sound fed, so a silent video loads no sound model."""
        if not self._sound_checked:
            self._sound_checked = True
            models = self._engine.audio
            with models.lock:
                analyzer = models.analyzer(self.options.features.speech)
            if analyzer is not None:
                self._sound = analyzer.stream(
                    min_confidence=self.options.min_confidence,
                    block_seconds=self.audio_block_seconds,
                    lock=models.lock,
                )
        return self._sound

    def _take_sound(self, heard: Heard) -> None:
        from streambet.vision.pipeline.audio.events import label_infos

        kept = [s for s in heard.samples if self._filter.allows(s.name, s.confidence)]
        if not kept and not heard.words:
            return
        infos = label_infos()
        with self._lock:
            self._sound_labels.update((s.name, infos[s.name]) for s in kept)
            if self._keep:
                self._sound_samples.extend(kept)
                self._words.extend(heard.words)
            if kept and self._on_labels is not None:
                self._on_labels(kept)
            if heard.words and self._on_words is not None:
                self._on_words(heard.words)

    def _time(self, name: str, wall: float, cpu: float, *, call: bool = True) -> None:
        acc = self._timings.setdefault(name, [0.0, 0.0, 0])
        acc[0] += time.perf_counter() - wall
        acc[1] += time.thread_time() - cpu
        acc[2] += 1 if call else 0

    # -- the end --

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError("this run has finished")
        if self._cancel.is_set():
            raise AnalysisCanceled("analysis canceled")

    def _timeline(self, decoded: DecodeStats | None) -> Timeline:
        meta = self.video
        if self._frames == 0:
            raise TruncatedVideo("No picture in this video can be decoded; the file is damaged.")
        last = decoded.last_timestamp_ms if decoded is not None else self._last_ms
        until = last + self._frame_ms
        tolerance = max(1000, 3 * self._frame_ms)
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
        pictures = sorted(self._samples, key=lambda s: (s.timestamp_ms, s.name))
        # Stable: at one time, picture samples (by name) come before sound samples.
        samples = sorted([*pictures, *self._sound_samples], key=lambda s: s.timestamp_ms)
        start = self._from_ms if self._from_ms is not None else 0
        labels = self._labels
        if self._keep:  # in the order the samples first name them
            labels = {s.name: self._labels[s.name] for s in pictures if s.name in self._labels}
        return Timeline(
            video=video,
            model_version=MODEL_VERSION,
            sample_interval_ms=self.sample_interval_ms,
            analysed_from_ms=start,
            analysed_until_ms=until,
            samples=samples,
            labels={**labels, **self._sound_labels},
            shots=self._shots.finish(until, start),
            texts=sorted(self._texts, key=lambda t: t.timestamp_ms),
            words=sorted(self._words, key=lambda w: w.start_ms),
            speech_until_ms=self._sound.transcribed_ms if self._sound is not None else 0,
            engine=self._engine.name,
            skipped_packets=decoded.skipped_packets if decoded is not None else 0,
        )
