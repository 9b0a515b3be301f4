"""Where a live source may connect, checked at every connection (vision/live/guard.py):
hosts an HLS playlist names (segments, variants, redirects) that point at the metadata
service or a private network are refused before FFmpeg fetches them; a name that resolves
elsewhere later (DNS rebinding) is refused at the next connection or playlist reload; and
the connection goes to the address that was checked (FFmpeg never looks the name up: the
names here do not exist in any DNS, only in the scripted lookup the policy is given)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from streambet.domain.errors import ValidationFailed
from streambet.domain.streams import UrlPolicy
from streambet.services.streams import SourceChecks, connect_addresses
from streambet.vision.live.errors import SourceRefused
from streambet.vision.live.follow import FollowConfig, follow
from streambet.vision.live.guard import Guard
from streambet.vision.live.source import Item, Picture, ReadConfig
from tests.support.clips import make_clip
from tests.support.follow_recorder import Recorder
from tests.support.http_server import serving_folder
from tests.support.live_hls import live_hls
from tests.support.rtmp_server import rtmp_listener

CONFIG = FollowConfig(ReadConfig(open_timeout=3, read_timeout=3), give_up_seconds=20)


class Dns:
    """A scripted name lookup: what each name resolves to now."""

    def __init__(self, **names: list[str]) -> None:
        self.names = {k.replace("_", "."): v for k, v in names.items()}
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return list(self.names.get(host, [host] if host[0].isdigit() else []))


def guard(dns: Dns, *, allow_loopback: bool = True) -> Guard:
    checks = SourceChecks(UrlPolicy(True, "/media", allow_loopback), dns, lambda p: p)

    def vet(host: str) -> list[str]:  # as the wiring's vet_live_host
        try:
            return connect_addresses(host, checks)
        except ValidationFailed as exc:
            raise SourceRefused(str(exc)) from None

    return Guard(vet, open_timeout=3, read_timeout=3)


def _follow(url: str, g: Guard, until: Any, timeout: float = 30) -> tuple[Recorder, Any]:
    """Follows `url` on a thread until `until(recorder)` or the follower finishes."""
    rec, stop = Recorder(), threading.Event()
    thread = threading.Thread(target=follow, args=(url, CONFIG, rec, stop), kwargs={"guard": g})
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and not until(rec) and time.monotonic() < deadline:
        time.sleep(0.1)
    return rec, (stop, thread)


def _end(handle: Any) -> None:
    stop, thread = handle
    stop.set()
    thread.join(15)
    assert not thread.is_alive()


class _Logged(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/live.m3u8")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, int, list[str]]]:
    """A plain HTTP server of a folder; yields (folder, port, the paths asked for)."""
    paths: list[str] = []
    with serving_folder(tmp_path, _Logged, paths=paths) as server:
        yield tmp_path, server.server_port, paths


LIVE_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:7
#EXTINF:1.0,
{segment}
"""


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (LIVE_PLAYLIST.format(segment="http://169.254.169.254/latest/seg7.ts"), "link-local"),
        (LIVE_PLAYLIST.format(segment="http://metadata.internal/seg7.ts"), "link-local"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nhttp://10.0.0.7/v.m3u8\n", "private"),
        (LIVE_PLAYLIST.format(segment="file:///var/seg7.ts"), "file: URL"),
    ],
    ids=["segment-metadata-ip", "segment-metadata-name", "variant-private", "segment-file"],
)
def test_playlist_naming_an_internal_host_is_refused(
    files: tuple[Path, int, list[str]], body: str, why: str
) -> None:
    folder, port, paths = files
    (folder / "live.m3u8").write_text(body)
    dns = Dns(cam_example=["127.0.0.1"], metadata_internal=["169.254.169.254"])
    rec, handle = _follow(f"http://cam.example:{port}/live.m3u8", guard(dns), lambda r: False)
    _end(handle)
    assert rec.outcome is not None, rec.events
    ended, reason = rec.outcome
    assert not ended and "refused" in reason and why in reason, reason
    assert rec.pictures == 0
    assert set(paths) == {"/live.m3u8"}  # nothing else was fetched from anywhere


def test_redirect_to_the_metadata_service_is_refused(files: tuple[Path, int, list[str]]) -> None:
    _, port, paths = files
    rec, handle = _follow(
        f"http://cam.example:{port}/moved.m3u8",
        guard(Dns(cam_example=["127.0.0.1"])),
        lambda r: False,
    )
    _end(handle)
    assert rec.outcome is not None and not rec.outcome[0]
    assert "link-local" in rec.outcome[1], rec.outcome
    assert paths == ["/moved.m3u8"]


def test_guarded_hls_is_read_over_the_vetted_address_and_rebinding_is_refused(
    tmp_path: Path,
) -> None:
    """cam.example exists only in the scripted lookup: pictures arriving show that every
    playlist and segment request went to the address the guard checked. Then the name
    resolves to the metadata service: the next playlist reload is refused."""
    dns = Dns(cam_example=["127.0.0.1"])
    with live_hls(tmp_path, [("chelsea", 60)]) as source:
        url = source.url.replace("127.0.0.1", "cam.example")
        rec, handle = _follow(url, guard(dns), lambda r: r.pictures >= 3)
        try:
            assert rec.pictures >= 3, rec.events
            asked = len(dns.asked)
            dns.names["cam.example"] = ["169.254.169.254"]  # rebinding
            deadline = time.monotonic() + 15
            while rec.outcome is None and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            _end(handle)
    assert len(dns.asked) > asked  # looked up again for the reload, not cached
    assert rec.outcome is not None and not rec.outcome[0], rec.events
    assert "link-local" in rec.outcome[1]


@pytest.fixture
def rtmp_port(tmp_path: Path) -> Iterator[int]:
    with rtmp_listener(tmp_path) as port:
        yield port


def test_rtmp_connects_to_the_vetted_address_and_refuses_a_private_one(rtmp_port: int) -> None:
    url = f"rtmp://cam.example:{rtmp_port}/live/test"
    refused, handle = _follow(url, guard(Dns(cam_example=["10.0.0.5"])), lambda r: False)
    _end(handle)
    assert refused.outcome is not None and "private" in refused.outcome[1], refused.events
    assert refused.pictures == 0
    rec, handle = _follow(url, guard(Dns(cam_example=["127.0.0.1"])), lambda r: r.pictures >= 2)
    _end(handle)
    assert rec.pictures >= 2, rec.events


def test_a_stream_whose_name_rebinds_after_creation_fails_at_connect(tmp_path: Path) -> None:
    """Production, through the API and a live job: the name resolved to a public address
    when the stream was made and to this machine when the job connects."""
    import dataclasses

    from streambet import create_app
    from streambet.worker import LiveJobs
    from tests.support import databases
    from tests.support.api import make_actor, production_config
    from tests.support.live import wait_for

    dns = Dns(cam_example=["93.184.216.34"])
    with databases.sqlite_database(tmp_path) as url:
        app = create_app(
            {
                **production_config(tmp_path / "var", url),
                "live_media_dir": str(tmp_path),
            }
        )
        w = app.extensions["streambet"]
        w.__dict__["source_checks"] = dataclasses.replace(w.source_checks, addresses=dns)
        jobs = LiveJobs(w, 1)
        try:
            op = make_actor(app, "operator")
            c = app.test_client()
            body = {"name": "cam", "source_url": "http://cam.example/live.m3u8", "start": True}
            made = c.post("/api/streams", json=body, headers=op.headers)
            assert made.status_code == 201, made.get_json()
            sid = made.get_json()["id"]
            dns.names["cam.example"] = ["127.0.0.1"]
            jobs.tick()
            got = wait_for(
                lambda: (
                    (s := c.get(f"/api/streams/{sid}", headers=op.headers).get_json())["status"]
                    == "failed"
                    and s
                ),
                30,
            )
            assert "refused" in got["status_reason"] and "loopback" in got["status_reason"]
        finally:
            jobs.stop(15)
            w.close()


def test_guarded_mpegts_over_http(files: tuple[Path, int, list[str]]) -> None:
    """A plain MPEG-TS over HTTP (no playlist) read through the guard's connection."""
    from streambet.vision.live.source import SourceLost, read_source

    folder, port, paths = files
    make_clip(folder / "live.ts", [("chelsea", 3)], fps=15, size=(320, 180))
    found: list[Item] = []
    url = f"http://cam.example:{port}/live.ts"
    with pytest.raises(SourceLost, match="closed the connection"):
        for item in read_source(
            url, ReadConfig(), threading.Event(), guard(Dns(cam_example=["127.0.0.1"]))
        ):
            found.append(item)
    assert found and isinstance(found[0], Picture) and found[0].frame.rgb is not None
    assert paths == ["/live.ts"]
