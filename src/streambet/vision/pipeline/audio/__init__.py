"""The local engine's ears: sound events (YAMNet) and spoken words with times (Whisper)."""

from streambet.vision.pipeline.audio.analyze import AudioAnalyzer, AudioResult

__all__ = ["AudioAnalyzer", "AudioResult"]
