"""The engine's sound-track pass: AudioAnalyzer on a thread of its own, beside the frames.

Audio decoding, YAMNet and Whisper release the GIL in FFmpeg, onnxruntime and CTranslate2,
so the pass overlaps the frame loop instead of adding its wall time. Speech-to-text is the
costly part; AnalysisOptions.extra["speech"] = False leaves it out, extra["audio"] = False
skips the sound track altogether.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import av
import av.error

from streambet.vision.backends import AnalysisOptions, CancelFlag

if TYPE_CHECKING:  # the audio package loads its models' libraries; import it when used
    from streambet.vision.pipeline.audio import AudioAnalyzer, AudioResult

log = logging.getLogger(__name__)


def wants_audio(options: AnalysisOptions) -> bool:
    return bool(options.extra.get("audio", True))


def wants_speech(options: AnalysisOptions) -> bool:
    return bool(options.extra.get("speech", True))


def _has_sound(path: Path) -> bool:
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            return bool(container.streams.audio)
    except av.error.FFmpegError:
        return False  # the frame pass reports the unreadable file


class _EitherFlag:
    def __init__(self, own: threading.Event, caller: CancelFlag | None) -> None:
        self._own, self._caller = own, caller

    def is_set(self) -> bool:
        return self._own.is_set() or (self._caller is not None and self._caller.is_set())


class AudioModels:
    """One AudioAnalyzer per speech setting, loaded on first use and kept (an engine serves
    many analyses). Calls are serialised: the Whisper model is not shared between threads."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._analyzers: dict[bool, AudioAnalyzer] = {}
        self.unavailable: str | None = None  # why there is no audio, once known
        self.lock = threading.Lock()

    def analyzer(self, speech: bool) -> AudioAnalyzer | None:
        """The analyzer, or None (and `unavailable` says why) when a package is missing.
        Call with `lock` held."""
        from streambet.vision.model_cache.audio import AudioModelMissing
        from streambet.vision.pipeline.audio import AudioAnalyzer

        if speech not in self._analyzers:
            try:
                self._analyzers[speech] = AudioAnalyzer(self.model_dir, speech=speech)
            except AudioModelMissing as exc:
                self.unavailable = str(exc)
                log.warning("sound track not analysed: %s", exc)
                return None
        return self._analyzers[speech]


class SoundTrackWorker:
    """Analyses one file's sound track on a thread; `result()` joins and returns the
    AudioResult (None without audio models), re-raising the thread's error."""

    def __init__(
        self,
        models: AudioModels,
        path: Path,
        options: AnalysisOptions,
        cancel: CancelFlag | None,
    ) -> None:
        self.fraction = 0.0  # progress of this pass, 0..1, monotonic
        self.cpu_s = 0.0  # CPU time of this thread
        self.wall_s = 0.0
        self._models = models
        self._path = path
        self._options = options
        self._stop = threading.Event()
        self._cancel = _EitherFlag(self._stop, cancel)
        self._result: AudioResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vision-audio", daemon=True)
        self._thread.start()

    def _progress(self, fraction: float) -> None:
        self.fraction = max(self.fraction, min(1.0, fraction))

    def _run(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            if not _has_sound(self._path):  # no model loading for silent clips
                return
            with self._models.lock:
                analyzer = self._models.analyzer(wants_speech(self._options))
                if analyzer is not None:
                    self._result = analyzer.analyze(
                        self._path,
                        self._progress,
                        self._cancel,
                        min_confidence=self._options.min_confidence,
                        max_seconds=self._options.max_seconds,
                    )
        except BaseException as exc:
            self._error = exc
        finally:
            self.fraction = 1.0
            self.wall_s = time.perf_counter() - wall
            self.cpu_s = time.thread_time() - cpu

    def wait(self, timeout: float) -> bool:
        """True once the pass has ended (successfully or not)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Abandons the pass (the frame loop failed or was canceled) and waits for it."""
        self._stop.set()
        self._thread.join()

    def result(self) -> AudioResult | None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result
