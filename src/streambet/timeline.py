"""The one internal result model every engine produces and every output shape reads.

A leaf module: `vision` (which produces it), `domain` (which evaluates criteria against it)
and `services` all import it, and it imports nothing of theirs.

Times are integer milliseconds from the start of the video; confidences are 0-100 (as in
Rekognition); boxes are ratios of the frame (Left, Top, Width, Height in 0-1). It is plain
data with a JSON round trip, so the service can store it and the betting domain can
evaluate criteria against it without knowing which engine ran.

The JSON round trip is pydantic's (a `TypeAdapter` per class, built on first use), not
hand-written: `to_dict()` / `from_dict()` on every part. Stored rows outlive the code that
wrote them, so fields added later have defaults (a Timeline stored before `words` loads
with none), and `LabelSample.top_confidence`, which once did not exist, falls back to the
sample's confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from pydantic import GetCoreSchemaHandler, TypeAdapter
from pydantic_core import core_schema

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:  # built on first use: a few ms each, not at import
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


class JsonData:
    """`to_dict()` (plain JSON data) and `from_dict()` (validated, with the defaults for
    fields an older writer did not know) for the dataclasses below."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        value: Self = _adapter(cls).validate_python(data)
        return value


@dataclass(frozen=True)
class BoundingBox(JsonData):
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Instance(JsonData):
    """One located occurrence of a label in one sample (a person, a face, a tile hit).
    `track`: the object it is, the same number in every sample the tracker followed it
    through (the local engine's object detector), so counting distinct tracks counts
    distinct objects; None when untracked."""

    box: BoundingBox
    confidence: float
    track: int | None = None


@dataclass(frozen=True)
class LabelSample(JsonData):
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

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_top_defaults, handler(source))


def _top_defaults(data: Any) -> Any:
    """Samples stored before `top_confidence` existed: the smoothed score stands in."""
    if isinstance(data, dict) and "top_confidence" not in data and "confidence" in data:
        return {**data, "top_confidence": data["confidence"]}
    return data


@dataclass(frozen=True)
class LabelInfo(JsonData):
    """Taxonomy facts about a label, in Rekognition's terms."""

    name: str
    parents: tuple[str, ...] = ()  # every ancestor, nearest first
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shot(JsonData):
    """A technical segment: a shot between cuts, or a run of black frames."""

    kind: str  # "SHOT" | "BLACK_FRAMES"
    start_ms: int
    end_ms: int
    confidence: float
    index: int = 0


@dataclass(frozen=True)
class TextDetection(JsonData):
    """Text read on screen: first read at `timestamp_ms`, seen in the same place with the
    same look until `end_ms` (exclusive; None from writers that read single samples)."""

    timestamp_ms: int
    text: str
    confidence: float
    box: BoundingBox | None = None
    end_ms: int | None = None


@dataclass(frozen=True)
class TranscriptWord(JsonData):
    """One spoken word from the sound track; `probability` is 0-100 like every confidence."""

    word: str
    start_ms: int
    end_ms: int
    probability: float


@dataclass(frozen=True)
class VideoMetadata(JsonData):
    """Rekognition's VideoMetadata fields."""

    codec: str
    duration_ms: int
    format: str
    frame_rate: float
    frame_width: int
    frame_height: int
    color_range: str = "LIMITED"  # FULL | LIMITED


@dataclass
class Timeline(JsonData):
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
