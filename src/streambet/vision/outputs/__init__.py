"""The timeline in other shapes: Rekognition's GetLabelDetection, the original seed
response, segments (`formats`), and where two engines agree (`agreement`)."""

from streambet.vision.outputs.formats import to_rekognition, to_seed, to_segments

__all__ = ["to_rekognition", "to_seed", "to_segments"]
