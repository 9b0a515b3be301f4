"""One sound track, fed in order as 16 kHz mono PCM and analysed as it comes.

Sound events run on each whole second as soon as its 0.96 s window is in; speech to text
runs a block at a time (Whisper wants context, and a block boundary can cut a word), the
rest at `finish`. The stream holds at most one block of sound and returns what each call
found, keeping nothing else, so it can follow a live stream for hours.

Windows sit on a grid of whole seconds from where the sound starts, so feeding a track in
any chunks gives the windows, and so the samples, that one block of it gives. A chunk that
starts later than the previous one ended (a gap in a live stream) ends the current windows
and block there and starts a new grid; one that overlaps it is trimmed. After `finish`
(the track ended), the next chunk starts a new track.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from streambet.timeline import LabelSample, TranscriptWord
from streambet.vision.control import CancelFlag
from streambet.vision.errors import AnalysisCanceled
from streambet.vision.pipeline.audio import melspec
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE
from streambet.vision.pipeline.audio.events import to_samples

if TYPE_CHECKING:
    from streambet.vision.pipeline.audio.analyze import AudioAnalyzer

WINDOW_HOP_MS = 1000  # one 0.96 s YAMNet window a second
# A chunk starting within this of where the last one ended continues it (timestamp jitter).
CONTINUITY_MS = 10


@dataclass
class Heard:
    """What one call found: sound samples (source "audio") and words, in time order."""

    samples: list[LabelSample] = field(default_factory=list)
    words: list[TranscriptWord] = field(default_factory=list)

    def add(self, other: Heard) -> None:
        self.samples += other.samples
        self.words += other.words


class AudioStream:
    def __init__(
        self,
        analyzer: AudioAnalyzer,
        *,
        min_confidence: float,
        block_seconds: int,
        lock: threading.Lock | None = None,
    ) -> None:
        self._analyzer = analyzer
        self._min_confidence = min_confidence
        self._block_len = block_seconds * SAMPLE_RATE
        self._lock = lock  # held while the models run (they are shared between streams)
        self._running_top: dict[str, float] = {}
        self._origin_ms: int | None = None  # where the current grid starts
        self._fed = 0  # samples fed since the origin
        # Sound not windowed yet; it starts at _events_ms, a window start. When the last
        # window ended past the sound fed, it is empty and _skip samples are still to come
        # before _events_ms.
        self._events = np.zeros(0, np.float32)
        self._events_ms = 0
        self._skip = 0
        self._speech: list[NDArray[Any]] = []  # the block being filled, from _speech_ms
        self._speech_len = 0
        self._speech_ms = 0
        self.fed_until_ms = 0  # the end of the sound fed so far
        self.events_until_ms = 0  # sound events known up to here
        self.transcribed_ms = 0  # words known up to here (0: speech has not run)
        self.position_ms = 0  # how far the models have got, for progress

    @property
    def speech(self) -> bool:
        return self._analyzer.transcriber is not None

    @property
    def covered_until_ms(self) -> int:
        """Sound events, and words when speech is on, are final up to here."""
        if self.speech:
            return min(self.events_until_ms, self.transcribed_ms)
        return self.events_until_ms

    def feed(self, pcm: NDArray[Any], start_ms: int, cancel: CancelFlag | None = None) -> Heard:
        """Analyses the chunk as far as whole windows and blocks allow."""
        chunk = np.asarray(pcm, dtype=np.float32).reshape(-1)
        heard = Heard()
        with self._models():
            if self._origin_ms is None:
                self._restart(start_ms)
            else:
                gap = start_ms - self._next_ms()
                if gap > CONTINUITY_MS:
                    heard.add(self._flush(cancel))
                    self._restart(start_ms)
                elif gap < -CONTINUITY_MS:
                    chunk = chunk[round(-gap * SAMPLE_RATE / 1000) :]
            if chunk.size == 0:
                return heard
            self._fed += chunk.size
            self.fed_until_ms = self._next_ms()
            heard.samples += self._windows(chunk)
            if self.speech:
                self._speech.append(chunk)
                self._speech_len += chunk.size
                while self._speech_len >= self._block_len:
                    heard.words += self._transcribe_block(self._block_len, cancel)
            else:
                self.position_ms = self.events_until_ms
        return heard

    def finish(self, cancel: CancelFlag | None = None) -> Heard:
        """The track has ended: analyses what is left (a last short window, the last part
        block). Sound fed after this starts a new track."""
        with self._models():
            heard = self._flush(cancel)
            self._origin_ms = None
            return heard

    @contextlib.contextmanager
    def _models(self) -> Any:
        if self._lock is None:
            yield
            return
        with self._lock:
            yield

    def _next_ms(self) -> int:
        assert self._origin_ms is not None
        return self._origin_ms + self._fed * 1000 // SAMPLE_RATE

    def _restart(self, start_ms: int) -> None:
        self._origin_ms, self._fed = start_ms, 0
        self._events, self._events_ms, self._skip = np.zeros(0, np.float32), start_ms, 0
        self._speech, self._speech_len, self._speech_ms = [], 0, start_ms
        self._running_top.clear()  # a gap ends every run of a label

    def _flush(self, cancel: CancelFlag | None) -> Heard:
        heard = Heard(self._score(melspec.patches(self._events, WINDOW_HOP_MS / 1000)))
        self._events = np.zeros(0, np.float32)
        self.events_until_ms = self.fed_until_ms
        if self.speech and self._speech_len:
            heard.words += self._transcribe_block(self._speech_len, cancel)
        self.position_ms = self.fed_until_ms
        return heard

    def _windows(self, chunk: NDArray[Any]) -> list[LabelSample]:
        """Scores every whole window now in; keeps the rest for the next chunk."""
        if self._skip:
            dropped = min(self._skip, chunk.size)
            chunk, self._skip = chunk[dropped:], self._skip - dropped
        buf = np.concatenate([self._events, chunk]) if self._events.size else chunk
        if buf.size < melspec.PATCH_SAMPLES:
            self._events = buf
            return []
        count = 1 + (buf.size - melspec.PATCH_SAMPLES) // SAMPLE_RATE
        span = (count - 1) * SAMPLE_RATE + melspec.PATCH_SAMPLES
        samples = self._score(melspec.patches(buf[:span], WINDOW_HOP_MS / 1000))
        consumed = count * SAMPLE_RATE  # the next window starts here, maybe past the buffer
        self._events = buf[consumed:].copy()
        self._skip = max(0, consumed - buf.size)
        self._events_ms += count * WINDOW_HOP_MS
        # No window starts before the next one, which may lie past the sound fed.
        self.events_until_ms = min(self._events_ms, self.fed_until_ms)
        return samples

    def _score(self, patches: NDArray[Any]) -> list[LabelSample]:
        if not len(patches):
            return []
        labels = self._analyzer.labels
        scores = labels.scores(self._analyzer.yamnet.scores(patches))
        return to_samples(
            scores,
            labels.names,
            self._events_ms,  # the first patch's window starts here
            WINDOW_HOP_MS,
            self._min_confidence,
            self._running_top,
        )

    def _transcribe_block(self, length: int, cancel: CancelFlag | None) -> list[TranscriptWord]:
        joined = np.concatenate(self._speech)
        block, rest = joined[:length], joined[length:]
        offset_ms = self._speech_ms
        transcriber = self._analyzer.transcriber
        assert transcriber is not None
        words: list[TranscriptWord] = []
        for segment in transcriber.segments(block, offset_ms):
            if cancel is not None and cancel.is_set():
                raise AnalysisCanceled("sound track analysis canceled")
            words += segment.words
            self.position_ms = max(self.position_ms, offset_ms + round(segment.end_s * 1000))
        end_ms = offset_ms + length * 1000 // SAMPLE_RATE
        self._speech, self._speech_len, self._speech_ms = (
            ([rest] if rest.size else []),
            rest.size,
            end_ms,
        )
        self.transcribed_ms = max(self.transcribed_ms, end_ms)
        self.position_ms = max(self.position_ms, end_ms)
        return words
