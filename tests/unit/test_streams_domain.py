"""Stream rules: the transition table, source URL structure and address policy, gaps."""

from __future__ import annotations

import pytest

from streambet.domain.errors import Conflict, ValidationFailed
from streambet.domain.streams import (
    WORKER_LOST,
    Interval,
    StreamStatus,
    UrlPolicy,
    check_addresses,
    check_media_path,
    check_transition,
    covered_ms,
    gaps,
    parse_source_url,
    refused_address,
)

S = StreamStatus
PROD = UrlPolicy(production=True, media_dir="/srv/media")


def test_transitions() -> None:
    assert check_transition("idle", S.STARTING) is S.STARTING
    assert check_transition("live", S.RECONNECTING) is S.RECONNECTING
    assert check_transition("reconnecting", S.LIVE) is S.LIVE
    assert check_transition("failed", S.STARTING) is S.STARTING
    with pytest.raises(Conflict):
        check_transition("idle", S.LIVE)
    with pytest.raises(Conflict):
        check_transition("ended", S.LIVE)
    assert {s for s in S if s.running} == {S.STARTING, S.LIVE, S.STALLED, S.RECONNECTING}


@pytest.mark.parametrize(
    ("url", "scheme", "host", "path"),
    [
        ("replay:/srv/media/clip.mp4", "replay", "", "/srv/media/clip.mp4"),
        ("https://cdn.example.com/live/index.m3u8", "https", "cdn.example.com", "/live/index.m3u8"),
        ("rtsp://cam.example.com:554/s1", "rtsp", "cam.example.com", "/s1"),
        ("https://www.twitch.tv/some_channel", "twitch", "twitch.tv", "some_channel"),
        ("kinesis://my-stream", "kinesis", "", "my-stream"),
    ],
)
def test_parse_source_url(url: str, scheme: str, host: str, path: str) -> None:
    parsed = parse_source_url(url)
    assert (parsed.scheme, parsed.host, parsed.path) == (scheme, host, path)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "file:///etc/passwd",
        "gopher://x/",
        "replay:relative.mp4",
        "http:///nohost",
        "http://a b/",
        "http://host:99999/",
        "https://twitch.tv/",
        "kinesis://",
        "rtsp://x/\x00",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_source_url(url)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "10.1.2.3",
        "192.168.1.1",
        "fd00::1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "100.64.0.1",
        "fe80::1%eth0",
    ],
)
def test_production_refuses_local_addresses(address: str) -> None:
    assert refused_address(address, PROD) is not None
    with pytest.raises(ValidationFailed) as err:
        check_addresses("host", [address], PROD)
    assert err.value.code == "source_refused"


def test_public_addresses_pass_and_loopback_setting() -> None:
    check_addresses("cdn", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"], PROD)
    with pytest.raises(ValidationFailed):  # one bad address of several is enough
        check_addresses("cdn", ["93.184.216.34", "10.0.0.1"], PROD)
    with pytest.raises(ValidationFailed):
        check_addresses("nowhere", [], PROD)
    loopback = UrlPolicy(True, "/srv/media", allow_loopback=True)
    check_addresses("localhost", ["127.0.0.1"], loopback)
    with pytest.raises(ValidationFailed):  # the metadata service stays refused
        check_addresses("meta", ["169.254.169.254"], loopback)
    check_addresses("x", ["10.0.0.1"], UrlPolicy(False, ""))  # development: anything


def test_media_folder() -> None:
    check_media_path("/srv/media/a/clip.mp4", PROD)
    for path in ("/etc/passwd", "/srv/mediaX/clip.mp4", "/srv"):
        with pytest.raises(ValidationFailed):
            check_media_path(path, PROD)


def test_gaps_and_coverage() -> None:
    intervals = [
        Interval(1000, 5000, "source dropped"),
        Interval(7000, 9000),
        Interval(8000, 9500),  # overlaps: no gap
        Interval(12000, 13000),
    ]
    found = gaps(intervals)
    assert [(g.from_ms, g.until_ms, g.reason) for g in found] == [
        (5000, 7000, "source dropped"),
        (9500, 12000, WORKER_LOST),
    ]
    assert covered_ms(intervals, 0, 20000) == 4000 + 2500 + 1000
    assert covered_ms(intervals, 4000, 8000) == 1000 + 1000
