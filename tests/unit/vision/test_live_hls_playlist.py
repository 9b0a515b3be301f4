"""The live HLS reader's playlist parsing and segment selection (vision/live/hls.py):
which segments are fetched, once each, from the live edge; blocking reloads; what is left
to FFmpeg's demuxer."""

from __future__ import annotations

import pytest

from streambet.vision.live.hls import (
    MasterPlaylist,
    MediaPlaylist,
    handles,
    parse_playlist,
    reload_delay,
    reload_url,
    to_read,
)

BASE = "http://cam.example/live/index.m3u8"


def media(first: int, count: int, *, tags: str = "", ended: bool = False) -> MediaPlaylist:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2"]
    lines += [f"#EXT-X-MEDIA-SEQUENCE:{first}", *filter(None, tags.splitlines())]
    for k in range(count):
        lines += ["#EXTINF:1.960,", f"seg{first + k}.ts"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    playlist = parse_playlist("\n".join(lines) + "\n", BASE)
    assert isinstance(playlist, MediaPlaylist)
    return playlist


def test_media_playlist_sequence_numbers_durations_and_urls() -> None:
    text = """#EXTM3U
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:1.001,
seg41.ts
#EXT-X-DISCONTINUITY
#EXTINF:0.5,title
/abs/seg42.ts?token=a
#EXTINF:1,
https://cdn.example/seg43.ts
"""
    playlist = parse_playlist(text, BASE)
    assert isinstance(playlist, MediaPlaylist)
    assert [(s.sequence, s.url, s.duration) for s in playlist.segments] == [
        (41, "http://cam.example/live/seg41.ts", 1.001),
        (42, "http://cam.example/abs/seg42.ts?token=a", 0.5),
        (43, "https://cdn.example/seg43.ts", 1.0),
    ]
    assert playlist.target_duration == 1.0
    assert not playlist.ended and not playlist.can_block_reload
    assert playlist.unsupported is None


def test_master_playlist_lists_its_variants_in_order() -> None:
    text = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=640x360
low/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000
https://cdn.example/high.m3u8
"""
    playlist = parse_playlist(text, BASE)
    assert playlist == MasterPlaylist(
        ["http://cam.example/live/low/index.m3u8", "https://cdn.example/high.m3u8"]
    )


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ('#EXT-X-KEY:METHOD=AES-128,URI="key.bin"', "EXT-X-KEY"),
        ('#EXT-X-MAP:URI="init.mp4"', "EXT-X-MAP"),
        ("#EXT-X-BYTERANGE:1000@0", "EXT-X-BYTERANGE"),
    ],
)
def test_what_is_left_to_ffmpeg(tag: str, why: str) -> None:
    playlist = media(0, 2, tags=tag)
    assert playlist.unsupported is not None and why in playlist.unsupported


def test_a_key_with_method_none_is_no_encryption() -> None:
    assert media(0, 2, tags="#EXT-X-KEY:METHOD=NONE").unsupported is None


def test_not_a_playlist() -> None:
    with pytest.raises(ValueError, match="EXTM3U"):
        parse_playlist("<html>not found</html>", BASE)


def test_reading_starts_at_the_live_edge_and_takes_each_new_segment_once() -> None:
    first = media(10, 4)
    assert [s.sequence for s in to_read(first, None)] == [13]
    assert to_read(first, 13) == []  # nothing new yet
    later = media(12, 4)  # 14 and 15 appeared, 10 and 11 left
    assert [s.sequence for s in to_read(later, 13)] == [14, 15]
    assert to_read(later, 15) == []


def test_a_reader_fallen_behind_the_window_takes_what_is_left() -> None:
    assert [s.sequence for s in to_read(media(20, 3), 13)] == [20, 21, 22]


def test_a_stale_copy_one_behind_is_not_a_restart_but_a_sequence_reset_is() -> None:
    assert to_read(media(10, 4), 14) == []  # a cache's copy one reload old
    assert [s.sequence for s in to_read(media(0, 2), 14)] == [1]  # the stream restarted


def test_an_ended_playlist_is_read_from_its_start() -> None:
    assert [s.sequence for s in to_read(media(5, 3, ended=True), None)] == [5, 6, 7]


def test_an_empty_playlist_names_nothing() -> None:
    assert to_read(media(0, 0), None) == []


def test_blocking_reload_asks_for_the_next_segment_when_offered() -> None:
    offered = media(3, 2, tags="#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0")
    assert offered.can_block_reload
    assert reload_url(BASE, offered, 4) == f"{BASE}?_HLS_msn=5"
    assert reload_url(BASE + "?t=x", offered, 4) == f"{BASE}?t=x&_HLS_msn=5"
    assert reload_url(BASE, media(3, 2), 4) == BASE  # not offered: plain polling


def test_reloads_are_fast_around_when_the_next_segment_is_due() -> None:
    two = media(0, 3)  # segments of 1.96 s, target 2 s
    assert reload_delay(two, 0.0) == pytest.approx(0.75 * 1.96)  # not due yet
    assert reload_delay(two, 1.0) == pytest.approx(0.75 * 1.96 - 1.0)
    assert reload_delay(two, 1.5) == pytest.approx(0.2)  # due: a tenth of the target
    assert reload_delay(two, 3.9) == pytest.approx(0.2)
    assert reload_delay(two, 4.0) == pytest.approx(0.5)  # overdue: a quarter target
    long = parse_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:30\n#EXTINF:30,\na.ts\n", BASE)
    short = parse_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:0\n", BASE)
    assert isinstance(long, MediaPlaylist) and isinstance(short, MediaPlaylist)
    assert reload_delay(long, 25.0) == 1.0 and reload_delay(long, 70.0) == 2.0  # bounded
    assert reload_delay(short, 0.0) == 0.1  # an empty playlist: within the bounds too


def test_handles_http_m3u8_only() -> None:
    assert handles("https://cam.example/a/live.m3u8?token=1")
    assert handles("http://127.0.0.1:8080/live.m3u8")
    assert not handles("http://cam.example/live.ts")
    assert not handles("rtmp://cam.example/live.m3u8")
