"""The one internal result model every engine produces and every output shape reads.

A leaf module: `vision` (which produces it), `domain` (which evaluates criteria against it)
and `services` all import it, and it imports nothing of theirs.

Times are integer milliseconds from the start of the video; confidences are 0-100 (as in
Rekognition); boxes are ratios of the frame (Left, Top, Width, Height in 0-1). It is plain
data with a JSON round trip, so the service can store it and the betting domain can
evaluate criteria against it without knowing which engine ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class BoundingBox:
    left: float
    top: float
    width: float
    height: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BoundingBox:
        return cls(float(d["left"]), float(d["top"]), float(d["width"]), float(d["height"]))


@dataclass(frozen=True)
class Instance:
    """One located occurrence of a label in one sample (a person, a face, a tile hit)."""

    box: BoundingBox
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"box": self.box.to_dict(), "confidence": self.confidence}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Instance:
        return cls(BoundingBox.from_dict(d["box"]), float(d["confidence"]))


@dataclass(frozen=True)
class LabelSample:
    """A label present at one sampled timestamp, after temporal aggregation.

    `confidence` is the smoothed score (median of recent samples); `top_confidence` the
    highest raw score seen so far for this label in the current run of samples.
    """

    timestamp_ms: int
    name: str
    confidence: float
    top_confidence: float
    instances: tuple[Instance, ...] = ()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp_ms": self.timestamp_ms,
            "name": self.name,
            "confidence": self.confidence,
            "top_confidence": self.top_confidence,
            "instances": [i.to_dict() for i in self.instances],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelSample:
        return cls(
            int(d["timestamp_ms"]),
            str(d["name"]),
            float(d["confidence"]),
            float(d.get("top_confidence", d["confidence"])),
            tuple(Instance.from_dict(i) for i in d.get("instances", ())),
            str(d.get("source", "")),
        )


@dataclass(frozen=True)
class LabelInfo:
    """Taxonomy facts about a label, in Rekognition's terms."""

    name: str
    parents: tuple[str, ...] = ()  # every ancestor, nearest first
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "parents": list(self.parents),
            "aliases": list(self.aliases),
            "categories": list(self.categories),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelInfo:
        return cls(
            str(d["name"]),
            tuple(d.get("parents", ())),
            tuple(d.get("aliases", ())),
            tuple(d.get("categories", ())),
        )


@dataclass(frozen=True)
class Shot:
    """A technical segment: a shot between cuts, or a run of black frames."""

    kind: str  # "SHOT" | "BLACK_FRAMES"
    start_ms: int
    end_ms: int
    confidence: float
    index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Shot:
        return cls(
            str(d["kind"]),
            int(d["start_ms"]),
            int(d["end_ms"]),
            float(d["confidence"]),
            int(d.get("index", 0)),
        )


@dataclass(frozen=True)
class TextDetection:
    """Text read on screen at one sampled timestamp."""

    timestamp_ms: int
    text: str
    confidence: float
    box: BoundingBox | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamp_ms": self.timestamp_ms,
            "text": self.text,
            "confidence": self.confidence,
            "box": self.box.to_dict() if self.box else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextDetection:
        box = d.get("box")
        return cls(
            int(d["timestamp_ms"]),
            str(d["text"]),
            float(d["confidence"]),
            BoundingBox.from_dict(box) if box else None,
        )


@dataclass(frozen=True)
class TranscriptWord:
    """One spoken word from the sound track; `probability` is 0-100 like every confidence."""

    word: str
    start_ms: int
    end_ms: int
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TranscriptWord:
        return cls(str(d["word"]), int(d["start_ms"]), int(d["end_ms"]), float(d["probability"]))


@dataclass(frozen=True)
class VideoMetadata:
    """Rekognition's VideoMetadata fields."""

    codec: str
    duration_ms: int
    format: str
    frame_rate: float
    frame_width: int
    frame_height: int
    color_range: str = "LIMITED"  # FULL | LIMITED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VideoMetadata:
        return cls(
            str(d["codec"]),
            int(d["duration_ms"]),
            str(d["format"]),
            float(d["frame_rate"]),
            int(d["frame_width"]),
            int(d["frame_height"]),
            str(d.get("color_range", "LIMITED")),
        )


@dataclass
class Timeline:
    """Everything one analysis found.

    `analysed_from_ms`/`analysed_until_ms` say which stretch of the video was actually
    covered (a canceled or partly failed run covers less than the video); settlement
    uses it to refuse a confident NO about time that was never looked at.
    """

    video: VideoMetadata
    model_version: str
    sample_interval_ms: int
    analysed_from_ms: int = 0
    analysed_until_ms: int = 0
    samples: list[LabelSample] = field(default_factory=list)
    labels: dict[str, LabelInfo] = field(default_factory=dict)
    shots: list[Shot] = field(default_factory=list)
    texts: list[TextDetection] = field(default_factory=list)
    engine: str = "local"
    skipped_packets: int = 0
    words: list[TranscriptWord] = field(default_factory=list)  # speech, in time order
    # How far speech-to-text covered the sound track (0: it did not run), so "nobody said
    # it" is only concluded about speech that was actually transcribed.
    speech_until_ms: int = 0

    def samples_of(self, name: str) -> list[LabelSample]:
        return [s for s in self.samples if s.name == name]

    def info(self, name: str) -> LabelInfo:
        return self.labels.get(name) or LabelInfo(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "video": self.video.to_dict(),
            "model_version": self.model_version,
            "sample_interval_ms": self.sample_interval_ms,
            "analysed_from_ms": self.analysed_from_ms,
            "analysed_until_ms": self.analysed_until_ms,
            "samples": [s.to_dict() for s in self.samples],
            "labels": {name: info.to_dict() for name, info in self.labels.items()},
            "shots": [s.to_dict() for s in self.shots],
            "texts": [t.to_dict() for t in self.texts],
            "engine": self.engine,
            "skipped_packets": self.skipped_packets,
            "words": [w.to_dict() for w in self.words],
            "speech_until_ms": self.speech_until_ms,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        return cls(
            video=VideoMetadata.from_dict(d["video"]),
            model_version=str(d["model_version"]),
            sample_interval_ms=int(d["sample_interval_ms"]),
            analysed_from_ms=int(d.get("analysed_from_ms", 0)),
            analysed_until_ms=int(d.get("analysed_until_ms", 0)),
            samples=[LabelSample.from_dict(s) for s in d.get("samples", ())],
            labels={k: LabelInfo.from_dict(v) for k, v in d.get("labels", {}).items()},
            shots=[Shot.from_dict(s) for s in d.get("shots", ())],
            texts=[TextDetection.from_dict(t) for t in d.get("texts", ())],
            engine=str(d.get("engine", "local")),
            skipped_packets=int(d.get("skipped_packets", 0)),
            words=[TranscriptWord.from_dict(w) for w in d.get("words", ())],
            speech_until_ms=int(d.get("speech_until_ms", 0)),
        )
