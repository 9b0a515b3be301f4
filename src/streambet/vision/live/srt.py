"""SRT sources, read through Debian's `ffmpeg` (built with libsrt; PyAV's own FFmpeg has no
SRT): a child process connects as the caller and copies the stream, unchanged, as MPEG-TS
to a pipe that PyAV demuxes like any other source. Its open and read timeouts are the
reader's, so a silent peer ends the child and the reader sees the source lost."""

from __future__ import annotations

import shutil
import subprocess
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from streambet.vision.live.errors import SourceRefused

# Find the streams within a second of live data (the default waits up to 5 s).
PROBE = ("-analyzeduration", "1000000", "-probesize", "500000")
PIPE_OPTIONS = {"analyzeduration": "1000000", "probesize": "500000", "fflags": "nobuffer"}


class SrtChild:
    """The `ffmpeg` child that reads one SRT connection; `pipe` carries MPEG-TS."""

    def __init__(self, url: str, open_timeout: float, read_timeout: float) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OSError("srt:// needs the ffmpeg program (Debian's, built with SRT)")
        self.proc = subprocess.Popen(
            [
                ffmpeg,
                "-nostdin",
                "-loglevel",
                "error",
                "-fflags",
                "nobuffer",
                *PROBE,
                "-i",
                caller_url(url, open_timeout, read_timeout),
                "-map",
                "0",
                "-c",
                "copy",
                "-f",
                "mpegts",
                "-flush_packets",
                "1",
                "pipe:1",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            bufsize=0,  # unbuffered: a read returns what has come, not a full buffer's worth
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        self.pipe: IO[bytes] = self.proc.stdout

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.pipe.close()


def caller_url(url: str, open_timeout: float, read_timeout: float) -> str:
    """The URL with this side as the caller and the reader's timeouts (a listener or
    rendezvous mode in a stream's URL is refused: a stream reads from a server)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if query.get("mode", "caller") != "caller":
        raise SourceRefused("an srt:// source is read as the caller (mode=caller)")
    query |= {
        "mode": "caller",
        "connect_timeout": str(round(open_timeout * 1000)),  # ms
        "timeout": str(round(read_timeout * 1_000_000)),  # µs
    }
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
