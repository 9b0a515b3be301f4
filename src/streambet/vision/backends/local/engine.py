"""LocalEngine: decode -> detectors -> fusion -> temporal aggregation -> Timeline, plus
the sound track, on the local CPU.

The engine holds the models (loaded once, shared by the analyses it runs); each analysis
is a LocalRun (run.py) that is fed pictures and sound. `analyze(path)` is the file's
form: probe the file, start a run, decode pictures on a thread of their own (FFmpeg
threads beneath) while this thread feeds them to the run, feed the sound track from a
fourth thread, and finish. onnxruntime, FFmpeg and CTranslate2 release the GIL, so the
threads overlap on two cores.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from streambet.timeline import Timeline, VideoMetadata
from streambet.vision.backends import AnalysisOptions
from streambet.vision.backends.local.config import LocalConfig
from streambet.vision.backends.local.ocr import OcrWorker
from streambet.vision.backends.local.run import (
    AUDIO_BLOCK_SECONDS,
    MAX_SAMPLE_FPS,
    MODEL_VERSION,
    LabelsFn,
    LocalRun,
    WordsFn,
)
from streambet.vision.control import CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled, VideoError
from streambet.vision.pipeline import detectors as registry
from streambet.vision.pipeline.activities import PoseModel
from streambet.vision.pipeline.audio.decode import decode_blocks
from streambet.vision.pipeline.audio.models import AudioModels, has_sound
from streambet.vision.pipeline.calibration import Calibration, get_calibration
from streambet.vision.pipeline.decode import DecodeStats, decode_frames
from streambet.vision.pipeline.detectors.base import Detector
from streambet.vision.pipeline.detectors.text import TextDetector
from streambet.vision.pipeline.probe import probe_video

# Skip decoding non-reference frames when there are at least this many frames a sample
# (and the video is at least 24 fps): sample times then move by a frame or two at most.
SKIP_NONREF_MIN_FRAMES_PER_SAMPLE = 8
# Share of the progress bar the pictures account for; the sound track is the rest (speech
# to text costs about as much as the pictures, sound events alone little).
VIDEO_SHARE_WITH_SPEECH = 0.7
VIDEO_SHARE_WITHOUT_SPEECH = 0.9
# A file's sound track is decoded and fed in chunks of this many seconds, so sound labels
# come as it goes; speech still runs on the run's whole blocks.
SOUND_CHUNK_SECONDS = 10


class _Progress:
    """Pictures and sound track reported as one monotonic fraction, below 1 until the end."""

    def __init__(self, report: ProgressFn | None, video_share: float) -> None:
        self._report = report
        self._video_share = video_share
        self._last = 0.0

    def update(self, video: float, audio: float) -> None:
        done = min(0.99, self._video_share * video + (1 - self._video_share) * audio)
        if self._report is not None and done - self._last >= 0.01:
            self._last = done
            self._report(done)


class _SoundFeeder:
    """Feeds a file's sound track to a run on a thread of its own."""

    def __init__(self, run: LocalRun, path: Path, total_ms: int) -> None:
        self._run = run
        self._path = path
        self._total_ms = total_ms
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._feed, name="vision-audio", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        try:
            chunks = decode_blocks(
                self._path,
                block_seconds=SOUND_CHUNK_SECONDS,
                max_seconds=self._run.options.max_seconds,
            )
            for index, pcm in enumerate(chunks):
                self._run.feed_audio(pcm, index * SOUND_CHUNK_SECONDS * 1000)
            self._run.end_audio()  # the last block's speech here, beside the pictures
        except BaseException as exc:
            self._error = exc

    @property
    def fraction(self) -> float:
        if not self._thread.is_alive():
            return 1.0
        return min(1.0, self._run.audio_position_ms / self._total_ms) if self._total_ms else 0.0

    def wait(self, timeout: float | None) -> bool:
        """True once the sound track has been fed (or feeding failed)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def result(self) -> None:
        """Waits for the thread; re-raises its error."""
        self._thread.join()
        if self._error is not None:
            raise self._error


class LocalEngine:
    name = "local"

    def __init__(
        self,
        model_dir: Path,
        detectors: Sequence[str] = registry.DEFAULT_DETECTORS,
        calibration: Calibration | None = None,
    ) -> None:
        """`calibration`: the packaged one by default; `Calibration.identity()` gives the
        detectors' raw scores (what scripts/fit_calibration.py fits on)."""
        self.model_dir = Path(model_dir)
        self.calibration = calibration or get_calibration()
        self.detector_names = tuple(detectors)
        self._loaded: dict[str, Detector] = {}
        self._lock = threading.Lock()
        # MediaPipe graphs are not safe to call from two threads at once; the service may
        # run two analyses on one engine, so every detector call is serialised per detector.
        self.call_locks: dict[str, threading.Lock] = {
            name: threading.Lock() for name in registry.FRAME_DETECTORS
        }
        self.audio = AudioModels(self.model_dir)
        self.pose = PoseModel()
        # per detector in the last analyze(): (wall s, CPU s on the calling thread, calls);
        # bench/analysis.py prints them
        self.timings: dict[str, tuple[float, float, int]] = {}

    @classmethod
    def from_config(cls, config: LocalConfig) -> LocalEngine:
        return cls(config.model_dir, config.detectors)

    def detector(self, name: str) -> Detector:
        """Detector `name` with its model loaded (once per engine)."""
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
            self.detector(name)
        with self.pose.lock:
            self.pose.estimator()
        with self.audio.lock:
            self.audio.analyzer(speech=True)

    def background_ocr(self) -> OcrWorker:
        """An OCR worker thread for one run; it loads the model itself the first time, so
        loading delays no picture."""
        with self._lock:
            if "text" in self._loaded:
                loaded = self._loaded["text"]
                assert isinstance(loaded, TextDetector)
                return OcrWorker(loaded, call_lock=self.call_locks["text"])
        det = TextDetector()

        def load() -> None:
            det.load(self.model_dir)
            with self._lock:
                self._loaded.setdefault("text", det)

        return OcrWorker(det, load, self.call_locks["text"])

    def start(
        self,
        options: AnalysisOptions,
        video: VideoMetadata,
        *,
        on_labels: LabelsFn | None = None,
        on_words: WordsFn | None = None,
        keep: bool = True,
        cancel: CancelFlag | None = None,
        start_ms: int | None = None,
        audio_block_seconds: int = AUDIO_BLOCK_SECONDS,
    ) -> LocalRun:
        """A new analysis to feed (see LocalRun). `video` describes the pictures to come
        (duration 0 when unknown, as for a live stream); `start_ms` is where the analysed
        range begins (default: the first picture fed); `keep=False` leaves the samples,
        texts and words to the callbacks, for runs that last for hours."""
        return LocalRun(
            self,
            options,
            video,
            on_labels=on_labels,
            on_words=on_words,
            keep=keep,
            cancel=cancel,
            start_ms=start_ms,
            audio_block_seconds=audio_block_seconds,
        )

    def analyze(
        self,
        path: Path,
        options: AnalysisOptions,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
        on_labels: LabelsFn | None = None,
    ) -> Timeline:
        """A whole file. `on_labels` is called with each batch of samples as soon as they
        are confirmed (the first arrive well before the end of the video)."""
        path = Path(path)
        if not 0 < options.sample_fps <= MAX_SAMPLE_FPS:
            raise ValueError(f"sample_fps must be in (0, {MAX_SAMPLE_FPS:g}]")
        meta = probe_video(path, max_seconds=options.max_seconds, max_pixels=options.max_pixels)
        run = self.start(options, meta, on_labels=on_labels, cancel=cancel, start_ms=0)
        sound: _SoundFeeder | None = None
        try:
            if options.features.audio and has_sound(path):
                sound = _SoundFeeder(run, path, min(meta.duration_ms, options.max_seconds * 1000))
            speech = options.features.speech
            share = VIDEO_SHARE_WITH_SPEECH if speech else VIDEO_SHARE_WITHOUT_SPEECH
            bar = _Progress(progress, share if sound is not None else 1.0)
            stats = self._feed_pictures(run, path, meta, sound, bar)
            if sound is not None:
                while not sound.wait(0.25):
                    if cancel is not None and cancel.is_set():
                        raise AnalysisCanceled("analysis canceled")
                    bar.update(1.0, sound.fraction)
                sound.result()
            timeline = run.finish(stats)
        except BaseException:
            run.close()  # a sound feeder still running stops at its next step
            if sound is not None:
                sound.wait(timeout=None)
            raise
        finally:
            self.timings = run.timings
        if progress is not None:
            progress(1.0)
        return timeline

    def _feed_pictures(
        self,
        run: LocalRun,
        path: Path,
        meta: VideoMetadata,
        sound: _SoundFeeder | None,
        bar: _Progress,
    ) -> DecodeStats:
        options = run.options
        stats = DecodeStats()
        skip_nonref = (
            meta.frame_rate >= 24
            and meta.frame_rate >= SKIP_NONREF_MIN_FRAMES_PER_SAMPLE * options.sample_fps
        )
        frames = decode_frames(
            path,
            sample_interval_ms=run.sample_interval_ms,
            stats=stats,
            reference_frames_only=skip_nonref,
            max_ms=options.max_seconds * 1000,  # the probe's length may be understated
        )
        try:
            for frame in frames:
                run.feed(frame)
                video = min(1.0, frame.timestamp_ms / meta.duration_ms) if meta.duration_ms else 0
                bar.update(video, sound.fraction if sound is not None else 0.0)
        finally:
            frames.close()  # joins the decode thread and closes the file now, not at GC
        return stats


__all__ = ["MODEL_VERSION", "LocalEngine", "VideoError"]
