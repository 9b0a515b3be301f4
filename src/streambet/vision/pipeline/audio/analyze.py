"""The sound track of a video -> sound labels on the timeline and spoken words with times."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import av
import av.error

from streambet.timeline import LabelInfo, LabelSample, TranscriptWord
from streambet.vision.control import CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled, NotAVideo
from streambet.vision.model_cache.yamnet import class_names
from streambet.vision.pipeline.audio import decode
from streambet.vision.pipeline.audio.events import LabelMap, label_infos
from streambet.vision.pipeline.audio.speech import Transcriber
from streambet.vision.pipeline.audio.stream import AudioStream, Heard
from streambet.vision.pipeline.audio.yamnet import YamNet


@dataclass
class AudioResult:
    """What the sound track held. Empty (has_audio False) for a video without one."""

    has_audio: bool = False
    audio_ms: int = 0  # length of sound actually analysed
    samples: list[LabelSample] = field(default_factory=list)  # source "audio"
    labels: dict[str, LabelInfo] = field(default_factory=dict)  # only labels that occur
    words: list[TranscriptWord] = field(default_factory=list)
    transcribed_ms: int = 0  # how much of the sound speech-to-text covered (0: it did not run)

    def add(self, heard: Heard) -> None:
        self.samples += heard.samples
        self.words += heard.words


class AudioAnalyzer:
    """Holds both models, so an engine can keep one and analyse many sound tracks."""

    def __init__(
        self,
        model_dir: Path,
        *,
        speech: bool = True,
        threads: int = 2,
        block_seconds: int = decode.BLOCK_SECONDS,
    ) -> None:
        self.block_seconds = block_seconds
        self.yamnet = YamNet(model_dir)
        self.labels = LabelMap(class_names())
        self.transcriber = Transcriber(threads) if speech else None

    def stream(
        self,
        *,
        min_confidence: float = 50.0,
        block_seconds: int | None = None,
        lock: threading.Lock | None = None,
    ) -> AudioStream:
        """A sound track to feed chunk by chunk (see AudioStream)."""
        return AudioStream(
            self,
            min_confidence=min_confidence,
            block_seconds=block_seconds or self.block_seconds,
            lock=lock,
        )

    def analyze(
        self,
        path: Path,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
        *,
        min_confidence: float = 50.0,
        max_seconds: float | None = None,
    ) -> AudioResult:
        """A file's whole sound track. Raises NotAVideo when the file cannot be opened,
        AnalysisCanceled when told to."""
        try:
            total_s = sound_duration_s(path)
        except av.error.FFmpegError:
            raise NotAVideo("This file is not a video we can read.") from None
        if total_s is None:
            return AudioResult()
        if max_seconds is not None:
            total_s = min(total_s, max_seconds)
        result = AudioResult(has_audio=True)
        stream = self.stream(min_confidence=min_confidence)

        def report() -> None:
            if progress is not None:
                done_s = stream.position_ms / 1000
                progress(min(1.0, done_s / total_s) if total_s > 0 else 1.0)

        blocks = decode.decode_blocks(
            path, block_seconds=self.block_seconds, max_seconds=max_seconds
        )
        for index, block in enumerate(blocks):
            _check(cancel)
            result.add(stream.feed(block, index * self.block_seconds * 1000, cancel))
            report()
        result.add(stream.finish(cancel))
        result.audio_ms = stream.fed_until_ms
        result.transcribed_ms = stream.transcribed_ms
        infos = label_infos()
        result.labels = {s.name: infos[s.name] for s in result.samples}
        if progress is not None:
            progress(1.0)
        return result


def sound_duration_s(path: Path) -> float | None:
    """Seconds of sound by the container's account, or None without an audio track."""
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1_000_000
        return 0.0


def _check(cancel: CancelFlag | None) -> None:
    if cancel is not None and cancel.is_set():
        raise AnalysisCanceled("audio analysis canceled")
