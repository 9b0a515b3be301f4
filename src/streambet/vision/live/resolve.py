"""Sources that are not media URLs themselves, resolved to the HLS URL to read: Twitch
channels through streamlink (low latency on), and AWS Kinesis Video streams through
GetDataEndpoint + GetHLSStreamingSessionURL (PlaybackMode LIVE). A session URL expires,
so the follower resolves again on every reconnect. Heavy imports stay inside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streambet.vision.live.source import SourceLost

# The Kinesis clients a caller may supply (tests: botocore's Stubber on each).
ClientFactory = Callable[[str, str | None], Any]  # (service, endpoint_url) -> boto3 client


def streamlink_url(url: str) -> str:
    """The best stream's media URL for anything streamlink plays: https://twitch.tv/NAME,
    or hls://URL (its generic HLS plugin, which the tests use against a local server)."""
    from streamlink.exceptions import StreamlinkError
    from streamlink.session.session import Streamlink

    session = Streamlink(options={"hls-live-edge": 2})
    if "twitch.tv" in url:
        session.set_option("twitch-low-latency", True)
    try:
        streams = session.streams(url)
    except StreamlinkError as exc:
        raise SourceLost(f"streamlink could not resolve the channel ({exc})") from exc
    best = streams.get("best") or next(iter(streams.values()), None)
    if best is None:
        raise SourceLost("the channel is offline (streamlink found no stream)")
    media: str = best.to_url()
    return media


def kinesis_hls_url(stream_name: str, clients: ClientFactory | None = None) -> str:
    """A live HLS session URL for a Kinesis Video stream (region and credentials from the
    AWS default chain)."""
    from botocore.exceptions import BotoCoreError, ClientError

    make = clients or _boto3_client
    try:
        endpoint = make("kinesisvideo", None).get_data_endpoint(
            StreamName=stream_name, APIName="GET_HLS_STREAMING_SESSION_URL"
        )["DataEndpoint"]
        session = make("kinesis-video-archived-media", endpoint).get_hls_streaming_session_url(
            StreamName=stream_name, PlaybackMode="LIVE"
        )
    except (BotoCoreError, ClientError) as exc:
        raise SourceLost(f"Kinesis Video gave no HLS session ({exc})") from exc
    url: str = session["HLSStreamingSessionURL"]
    return url


def _boto3_client(service: str, endpoint_url: str | None) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url)


def media_url(url: str, kinesis_clients: ClientFactory | None = None) -> str:
    """The URL PyAV reads for a stream's source URL (itself for most)."""
    scheme = url.split(":", 1)[0].lower()
    host = url.split("//", 1)[1].split("/", 1)[0].lower() if "//" in url else ""
    if scheme == "twitch" or host.endswith("twitch.tv"):
        channel = url.rstrip("/").rsplit("/", 1)[-1] if host.endswith("twitch.tv") else host
        return streamlink_url(f"https://twitch.tv/{channel}")
    if scheme == "kinesis":
        return kinesis_hls_url(host, kinesis_clients)
    return url
