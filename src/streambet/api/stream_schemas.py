"""Request and list shapes of /api/streams (the stream itself is services.streams.StreamRead)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from streambet.api.validation import Offset
from streambet.domain.streams import MAX_URL, StreamStatus
from streambet.services.streams import StreamRead
from streambet.vision.pipeline.detectors import FRAME_DETECTORS

DetectorName = str


class StreamOptionsCreate(BaseModel):
    """How the engine follows the stream; unset ones keep the deployment's defaults."""

    model_config = ConfigDict(extra="forbid")

    sample_fps: float | None = Field(default=None, gt=0, le=10)
    min_confidence: float = Field(default=50.0, ge=0, le=100)
    detectors: list[DetectorName] | None = Field(
        default=None,
        max_length=len(FRAME_DETECTORS),
        description=f"Picture detectors to run, of {sorted(FRAME_DETECTORS)} (default: all)",
    )
    pose: bool = True
    audio: bool = Field(default=True, description="Sound events (and speech) on the audio track")
    speech: bool = False
    loop: bool = Field(default=False, description="replay: start the file again at its end")

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or ()) - set(FRAME_DETECTORS))
        if unknown:
            raise ValueError(f"unknown detectors {unknown}; known: {sorted(FRAME_DETECTORS)}")
        return value


class StreamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source_url: str = Field(
        min_length=1,
        max_length=MAX_URL,
        description="replay:/path (a file in the media folder), http(s) HLS or MPEG-TS,"
        " rtmp://, rtsp:// (TCP), srt://, https://twitch.tv/CHANNEL, kinesis://STREAM",
    )
    options: StreamOptionsCreate = Field(default_factory=StreamOptionsCreate)
    start: bool = Field(default=False, description="Start following it at once")


class StreamQuery(BaseModel):
    status: StreamStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class StreamList(BaseModel):
    items: list[StreamRead]
    total: int


class TwitchConnect(BaseModel):
    """Mirror this stream's live markets as Twitch Predictions on the broadcaster's channel."""

    model_config = ConfigDict(extra="forbid")
    broadcaster_id: str = Field(pattern=r"^[0-9]{1,64}$", description="Twitch's numeric user id")
    access_token: str = Field(
        min_length=1,
        max_length=512,
        description="The broadcaster's user access token with channel:manage:predictions "
        "(stored encrypted, never shown again)",
    )
