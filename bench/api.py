"""API benchmark against the real gunicorn server on 127.0.0.1 (prints figures; never fails).

1. req/s, p50, p99 for GET /api/health and GET /api/bets with 32 concurrent clients;
2. upload-to-result latency of a 10 s clip through `POST /api/analyze?wait=true`, against
   the engine's own time on the same clip in this process, in the same run: the
   difference is what the service adds (target < 0.5 s);
3. the server's peak RSS while a 1 GB upload body is refused (streamed, never held).

Usage: python bench/api.py [--requests-per-client 100] [--clients 32] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import loadgen
import numpy as np
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_clip(path: Path, seconds: int = 10, fps: int = 30, size: tuple[int, int] = (1280, 720)):
    """A 10 s clip from real photos when scikit-image is there, else moving colour bands."""
    import av

    try:
        from skimage import data

        photos = [data.chelsea(), data.astronaut(), data.coffee(), data.rocket()]
    except ImportError:
        photos = []
    width, height = size
    from PIL import Image

    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast"}
        for i in range(seconds * fps):
            if photos:
                img = photos[(i // (fps * 3)) % len(photos)]
                frame = np.asarray(Image.fromarray(img[..., :3]).resize((width, height)))
            else:
                x = np.arange(width, dtype=np.uint16)[None, :, None]
                frame = np.repeat(((x + i * 8) % 256).astype(np.uint8), height, axis=0)
                frame = np.repeat(frame, 3, axis=2)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode(None))
    return path


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        cmd = [sys.executable, "-m", "streambet.cli", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=self._log, start_new_session=True
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/health", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start; see {log}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def load(base: str, path: str, clients: int, per_client: int) -> tuple[float, float, float, dict]:
    """`clients` keep-alive connections each sending `per_client` GETs in a row, from the
    raw-socket load generator in a process of its own (bench/loadgen.py)."""
    result = loadgen.run(base, [[loadgen.Call("GET", path)] * per_client] * clients)
    p50, p99 = (loadgen.percentile_ms(result.latencies_s, q) for q in (0.50, 0.99))
    return len(result.latencies_s) / result.elapsed_s, p50, p99, dict(result.statuses)


def refuse_big_upload(url: str, total: int) -> tuple[str, int]:
    """Streams a `total`-byte multipart body (chunked, so no Content-Length warns the
    server) until the server answers; returns its status line and the bytes sent."""
    host, port = url.removeprefix("http://").split(":")
    boundary = "benchboundary"
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        (
            "POST /api/analyze HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    zeros = b"\0" * (1 << 20)
    sent = 0
    answered = threading.Event()

    def send() -> None:
        nonlocal sent
        try:
            for piece in [head] + [zeros] * (total // len(zeros)):
                if answered.is_set():
                    return
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
        except OSError:  # the server closed the connection after refusing
            pass

    sender = threading.Thread(target=send)
    sender.start()
    reply = b""
    try:
        while b"\r\n" not in reply:
            more = sock.recv(4096)
            if not more:
                break
            reply += more
    except OSError:
        pass
    answered.set()
    sock.shutdown(socket.SHUT_RDWR)
    sender.join()
    sock.close()
    return reply.split(b"\r\n", 1)[0].decode(errors="replace"), sent


class StandaloneEngine:
    """The same engine and options the server uses, in this process (warmed once)."""

    def __init__(self, backend: str, model_dir: Path, clip: Path) -> None:
        from streambet.adapters.engines import backend_config
        from streambet.config import load_settings
        from streambet.vision.backends import AnalysisOptions, load_backend

        settings = load_settings({"analysis_backend": backend, "model_dir": str(model_dir)})
        self.engine = load_backend(backend, backend_config(settings, backend))
        self.options = AnalysisOptions(sample_fps=settings.sample_fps)
        self.clip = clip
        self.engine.analyze(clip, self.options)  # models loaded, caches filled

    def seconds(self) -> float:
        t0 = time.perf_counter()
        self.engine.analyze(self.clip, self.options)
        return time.perf_counter() - t0


def engine_seconds(engine: StandaloneEngine) -> float:
    return engine.seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests-per-client", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--upload-gb", type=float, default=1.0)
    args = parser.parse_args()

    try:
        import streambet.vision.backends.local.engine  # noqa: F401

        backend = "local"
    except ImportError:
        backend = "fake"
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; engine: {backend}")

    with tempfile.TemporaryDirectory(prefix="streambet-bench-") as tmp:
        root = Path(tmp)
        model_dir = Path(os.environ.get("STREAMBET_MODEL_DIR", "var/models")).resolve()
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMBET_")}
        env |= {
            "STREAMBET_DATA_DIR": str(root / "var"),
            "STREAMBET_ANALYSIS_BACKEND": backend,
            "STREAMBET_MODEL_DIR": str(model_dir),
            "STREAMBET_LOG_LEVEL": "WARNING",
        }
        for step in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run(
                [sys.executable, "-m", "streambet.cli", *step],
                env=env,
                check=True,
                capture_output=True,
            )
        clip = make_clip(root / "clip10s.mp4")
        server = Server(env, root / "server.log")
        try:
            n = args.requests_per_client
            print(f"\n## GET latency, {args.clients} concurrent clients, {n} requests each")
            for path in ("/api/health", "/api/bets"):
                rps, p50, p99, statuses = load(server.url, path, args.clients, n)
                print(
                    f"GET {path:<12} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
                    f"  statuses {statuses}"
                )

            print(f"\n## upload-to-result, 10 s 1280x720 30 fps clip, {args.runs} runs")

            def upload() -> tuple[float, dict]:
                t0 = time.perf_counter()
                with clip.open("rb") as fh:
                    response = requests.post(
                        server.url + "/api/analyze?wait=true",
                        files={"file": ("clip.mp4", fh, "video/mp4")},
                        timeout=600,
                    )
                elapsed = time.perf_counter() - t0
                response.raise_for_status()
                job = requests.get(
                    f"{server.url}/api/analyses/{response.json()['job_id']}?format=timeline",
                    timeout=30,
                ).json()
                return elapsed, job

            upload()  # warm the server's engine (model load) like the in-process one
            engine = StandaloneEngine(backend, model_dir, clip)
            # Interleaved, so load from other processes on the machine hits both alike.
            api_times, server_engine, own = [], [], []
            for _ in range(args.runs):
                elapsed, job = upload()
                api_times.append(elapsed)
                server_engine.append(job["timings"]["engine_ms"] / 1000)
                own.append(engine_seconds(engine))
            api_s, own_s = statistics.median(api_times), statistics.median(own)
            in_server = statistics.median(server_engine)
            print(f"engine alone, in this process (median): {own_s:6.2f} s")
            print(f"upload -> result via API (median):      {api_s:6.2f} s")
            print(f"  of which the engine inside the server: {in_server:6.2f} s")
            print(
                f"service overhead: {api_s - in_server:5.2f} s vs the server's own engine time,"
                f" {api_s - own_s:5.2f} s vs the standalone engine (ratio {api_s / own_s:.2f})"
            )

            print(f"\n## refusing a {args.upload_gb:g} GB upload (chunked, no Content-Length)")
            pids = server.worker_pids()
            before = {pid: rss_kb(pid, "VmRSS") for pid in pids}
            hwm_before = {pid: rss_kb(pid, "VmHWM") for pid in pids}
            peak = dict(before)
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    for pid in pids:
                        peak[pid] = max(peak[pid], rss_kb(pid, "VmRSS"))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            t0 = time.perf_counter()
            status, sent = refuse_big_upload(server.url, int(args.upload_gb * (1 << 30)))
            elapsed = time.perf_counter() - t0
            done.set()
            sampler.join()
            for pid in pids:
                print(
                    f"worker {pid}: RSS before {before[pid] / 1024:7.1f} MB, peak during"
                    f" {peak[pid] / 1024:7.1f} MB (+{(peak[pid] - before[pid]) / 1024:.1f} MB),"
                    f" lifetime peak {hwm_before[pid] / 1024:.1f} ->"
                    f" {rss_kb(pid, 'VmHWM') / 1024:.1f} MB"
                )
            print(
                f"answer: {status!r} after {sent / (1 << 20):.0f} MB sent in {elapsed:.2f} s"
                f" (cap {100} MB by default)"
            )
            # uploads only: the analyses above keep their evidence frames, as they should
            uploads = root / "var" / "storage" / "uploads"
            leftovers = [p for p in uploads.rglob("*") if p.is_file()]
            print(f"upload files left in storage: {len(leftovers)}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
