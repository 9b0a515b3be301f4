"""The sound models an engine keeps between analyses, and whether a file has sound.

Audio decoding, YAMNet and Whisper release the GIL in FFmpeg, onnxruntime and CTranslate2,
so a sound track analysed on a thread of its own overlaps the pictures instead of adding
its wall time. Speech to text is the costly part; it can be left out.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import av
import av.error

if TYPE_CHECKING:  # the audio package loads its models' libraries; import it when used
    from streambet.vision.pipeline.audio import AudioAnalyzer

log = logging.getLogger(__name__)


def has_sound(path: Path) -> bool:
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            return bool(container.streams.audio)
    except av.error.FFmpegError:
        return False  # the picture pass reports the unreadable file


class AudioModels:
    """One AudioAnalyzer per speech setting, loaded on first use and kept (an engine serves
    many analyses). Model calls hold `lock`: the Whisper model is not shared between
    threads."""

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
