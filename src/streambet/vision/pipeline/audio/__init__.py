"""The local engine's ears: sound events (YAMNet) and spoken words with times (Whisper)."""

from streambet.vision.pipeline.audio.analyze import (
    AudioAnalyzer,
    AudioResult,
    analyze_audio,
    prepare_models,
)
from streambet.vision.pipeline.audio.yamnet import AudioModelMissing

__all__ = ["AudioAnalyzer", "AudioModelMissing", "AudioResult", "analyze_audio", "prepare_models"]
