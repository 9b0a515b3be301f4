"""The sound track of a video -> sound labels on the timeline and spoken words with times."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import av.error

from streambet.timeline import LabelInfo, LabelSample, Timeline, TranscriptWord
from streambet.vision.backends import CancelFlag, ProgressFn
from streambet.vision.errors import AnalysisCanceled, NotAVideo
from streambet.vision.model_cache.yamnet import class_names
from streambet.vision.pipeline.audio import decode, melspec
from streambet.vision.pipeline.audio.events import LabelMap, label_infos, to_samples
from streambet.vision.pipeline.audio.speech import Transcriber
from streambet.vision.pipeline.audio.yamnet import YamNet

WINDOW_HOP_MS = 1000  # one 0.96 s YAMNet window a second
# Share of a block's progress that the (fast) event pass accounts for; speech is the rest.
_EVENTS_SHARE = 0.1


@dataclass
class AudioResult:
    """What the sound track held. Empty (has_audio False) for a video without one."""

    has_audio: bool = False
    audio_ms: int = 0  # length of sound actually analysed
    samples: list[LabelSample] = field(default_factory=list)  # source "audio"
    labels: dict[str, LabelInfo] = field(default_factory=dict)  # only labels that occur
    words: list[TranscriptWord] = field(default_factory=list)
    transcribed_ms: int = 0  # how much of the sound speech-to-text covered (0: it did not run)

    def apply_to(self, timeline: Timeline) -> None:
        """Merge into an engine's timeline: samples in time order, labels, the words."""
        timeline.samples = sorted([*timeline.samples, *self.samples], key=lambda s: s.timestamp_ms)
        timeline.labels.update(self.labels)
        timeline.words = sorted([*timeline.words, *self.words], key=lambda w: w.start_ms)
        timeline.speech_until_ms = max(timeline.speech_until_ms, self.transcribed_ms)


class AudioAnalyzer:
    """Holds both models, so an engine can keep one and analyse many files."""

    def __init__(
        self,
        model_dir: Path,
        *,
        speech: bool = True,
        threads: int = 2,
        block_seconds: int = decode.BLOCK_SECONDS,
    ) -> None:
        self._block_seconds = block_seconds
        self._yamnet = YamNet(model_dir)
        self._labels = LabelMap(class_names())
        self._transcriber = Transcriber(threads) if speech else None

    def analyze(
        self,
        path: Path,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
        *,
        min_confidence: float = 50.0,
        max_seconds: float | None = None,
    ) -> AudioResult:
        """Raises NotAVideo when the file cannot be opened, AnalysisCanceled when told to."""
        try:
            total_s = _duration_s(path)
        except av.error.FFmpegError:
            raise NotAVideo("This file is not a video we can read.") from None
        if total_s is None:
            return AudioResult()
        if max_seconds is not None:
            total_s = min(total_s, max_seconds)
        result = AudioResult(has_audio=True)
        running_top: dict[str, float] = {}
        block_ms = self._block_seconds * 1000
        report = progress or (lambda _fraction: None)
        blocks = decode.decode_blocks(
            path, block_seconds=self._block_seconds, max_seconds=max_seconds
        )
        for index, block in enumerate(blocks):
            _check(cancel)
            offset_ms = index * block_ms
            block_ms_len = round(block.size * 1000 / decode.SAMPLE_RATE)

            def at(fraction: float, offset: int = offset_ms, length: int = block_ms_len) -> None:
                done_s = (offset + fraction * length) / 1000
                report(min(1.0, done_s / total_s) if total_s > 0 else 1.0)

            scores = self._labels.scores(
                self._yamnet.scores(melspec.patches(block, WINDOW_HOP_MS / 1000))
            )
            result.samples += to_samples(
                scores, self._labels.names, offset_ms, WINDOW_HOP_MS, min_confidence, running_top
            )
            at(_EVENTS_SHARE)
            if self._transcriber is not None:
                for segment in self._transcriber.segments(block, offset_ms):
                    _check(cancel)
                    result.words += segment.words
                    at(_EVENTS_SHARE + (1 - _EVENTS_SHARE) * segment.end_s * 1000 / block_ms_len)
            result.audio_ms = offset_ms + block_ms_len
            if self._transcriber is not None:
                result.transcribed_ms = result.audio_ms
            at(1.0)
        infos = label_infos()
        result.labels = {s.name: infos[s.name] for s in result.samples}
        report(1.0)
        return result


def analyze_audio(
    path: Path,
    model_dir: Path,
    progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None,
    *,
    min_confidence: float = 50.0,
    speech: bool = True,
) -> AudioResult:
    """One-shot form of AudioAnalyzer(model_dir).analyze(...)."""
    return AudioAnalyzer(model_dir, speech=speech).analyze(
        path, progress, cancel, min_confidence=min_confidence
    )


def _duration_s(path: Path) -> float | None:
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
