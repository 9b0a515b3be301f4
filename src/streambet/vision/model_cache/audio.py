"""The error both sound models of the cache (`yamnet`, `whisper`) raise when the package
that carries them is not installed."""


class AudioModelMissing(RuntimeError):
    """The package that carries an audio model is not installed."""
