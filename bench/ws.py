"""WebSocket benchmark: prints figures, asserts nothing about time.

Against `streambet serve` (one worker, default threads and caps, SQLite, a subprocess), in
one run:
1. baseline: `/api/health` latency (one client, requests back to back) and wagers
   (32 bettors on keep-alive connections, bench/loadgen.py) with no socket open;
2. N WebSockets opened (default 2,000) by a holder process of its own (asyncio, raw
   sockets, from many loopback addresses so the default per-address cap holds), each
   greeted with `hello`; the server's RSS before and after;
3. the same health and wager runs with the N sockets open, every one of them receiving the
   market's odds as the wagers land; ratios against 1;
4. delivery: markets created through the API, one at a time; for each, how long from the
   API call until every socket had its `market.status` (p50/p99 over the markets), and
   the per-socket delivery times (p50/p99 over all sockets and markets);
5. the sockets closed, health and wagers once more (drift check).

    .venv/bin/python bench/ws.py [--sockets 2000] [--wagers-per-bettor 100] [--events 20]

Both this process and the holder raise their soft open-file limit to the hard one
(`resource.setrlimit`), as `streambet serve` does; N sockets need N descriptors on each
side. The machine may be shared: the load average is printed, and each figure with
sockets open is given as a ratio to the baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

import loadgen
import requests
from betting import CLIENTS, free_port, new_market, operator, setup_bettors

from streambet.adapters.db import create_database
from streambet.adapters.migrate import upgrade
from streambet.services import accounts
from streambet.services.unit_of_work import UnitOfWork

PER_ADDRESS = 40  # under the default cap of 64 sockets per address


def raise_descriptor_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---- the holder process: N sockets, reading everything, answering pings -----------------


class _Holder:
    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}  # market id -> arrival (monotonic) per socket
        self.frames = 0
        self.closed = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def open(self, host: str, port: int, index: int) -> None:
        source = f"127.0.{1 + index // (PER_ADDRESS * 250)}.{1 + (index // PER_ADDRESS) % 250}"
        reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /api/ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {key}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        opcode, payload = await self._frame(reader)
        if opcode != 1 or json.loads(payload)["topic"] != "hello":
            raise RuntimeError(f"expected hello, got {opcode} {payload[:80]!r}")
        self.writers.append(writer)
        asyncio.get_running_loop().create_task(self._read(reader, writer))

    @staticmethod
    async def _frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        b0, b1 = await reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await reader.readexactly(8))
        return b0 & 0x0F, await reader.readexactly(n)

    @staticmethod
    def _masked(opcode: int, payload: bytes) -> bytes:
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + body

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                opcode, payload = await self._frame(reader)
                now = time.monotonic()
                if opcode == 9:  # ping
                    writer.write(self._masked(10, payload))
                elif opcode == 8:
                    break
                elif opcode == 1:
                    self.frames += 1
                    if b'"market.status"' not in payload:  # odds: counted, not parsed
                        continue
                    message = json.loads(payload)
                    if message["topic"] == "market.status":
                        market_id = message["payload"]["market_id"]
                        self.arrivals.setdefault(market_id, []).append(now)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.closed += 1


async def _hold(conn: Connection, base: str, count: int) -> None:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    holder = _Holder()
    loop = asyncio.get_running_loop()
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "open":
            t = time.perf_counter()
            errors: list[str] = []
            for start in range(0, count, 100):  # 100 handshakes at a time
                batch = range(start, min(count, start + 100))
                results = await asyncio.gather(
                    *(holder.open(host, port, i) for i in batch), return_exceptions=True
                )
                errors += [repr(r) for r in results if isinstance(r, BaseException)]
            conn.send((len(holder.writers), time.perf_counter() - t, errors[:3]))
        elif command == "arrivals":
            conn.send((holder.arrivals.get(arg, []), holder.frames, holder.closed))
        elif command == "close":
            for writer in holder.writers:
                writer.close()
            await asyncio.sleep(0.5)
            conn.send(len(holder.writers))
            return


def _holder_main(conn: Connection, base: str, count: int) -> None:
    raise_descriptor_limit()
    asyncio.run(_hold(conn, base, count))


# ---- the server and its measurements ------------------------------------------------------


@contextmanager
def served(url: str, data_dir: Path) -> Iterator[tuple[str, int]]:
    """`streambet serve` with one worker and every default; yields its URL and its pid."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STREAMBET_")},
        "STREAMBET_DATABASE_URL": url,
        "STREAMBET_DATA_DIR": str(data_dir),
        "STREAMBET_QUEUE_BACKEND": "memory",
        "STREAMBET_EMBEDDED_WORKER": "false",
        "STREAMBET_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "streambet.cli", "serve", "--port", str(port)]
    log = (data_dir / "server.log").open("wb")
    with log, subprocess.Popen(cmd, env=env, stdout=log, stderr=log) as proc:
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if requests.get(f"{base}/api/health", timeout=5).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                raise RuntimeError("server did not start")
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def rss_mb(master: int) -> float:
    """Resident memory of gunicorn's master and its worker(s)."""
    pids = [master]
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def health(base: str, n: int = 300) -> tuple[float, float]:
    result = loadgen.run(base, [[loadgen.Call("GET", "/api/health")] * n])
    if result.count(200) != n:
        raise RuntimeError(f"health failed: {result.first_error}")
    return loadgen.percentile_ms(result.latencies_s, 0.5), loadgen.percentile_ms(
        result.latencies_s, 0.99
    )


def wagers(
    base: str, bettors: list[tuple[int, str]], market: tuple[int, int, int], n: int, tag: str
) -> tuple[float, float, float]:
    market_id, yes, no = market
    calls = [
        [
            loadgen.Call(
                "POST",
                f"/api/markets/{market_id}/wagers",
                {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{tag}-{uid}-{i}"},
                {"outcome_id": yes if i % 3 else no, "stake": 1 + i % 50},
            )
            for i in range(n)
        ]
        for uid, token in bettors
    ]
    result = loadgen.run(base, calls)
    placed = result.count(201)
    if placed != len(bettors) * n:
        raise RuntimeError(f"wagers failed: {result.first_error}")
    lat = result.latencies_s
    return placed / result.elapsed_s, *(loadgen.percentile_ms(lat, q) for q in (0.5, 0.99))


def delivery(
    base: str, token: str, holder: Connection, sockets: int, events: int
) -> tuple[list[float], list[float], int]:
    """For each of `events` new markets: seconds from the API call until each socket had
    its market.status, and until all of them had."""
    per_socket: list[float] = []
    until_all: list[float] = []
    missing = 0
    body = {"question": "Bench: a cat?", "criteria": {"label": "Cat"}}
    for _ in range(events):
        t = time.monotonic()
        created = requests.post(
            base + "/api/markets",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        created.raise_for_status()
        market_id = created.json()["id"]
        deadline = time.monotonic() + 30
        while True:
            holder.send(("arrivals", market_id))
            arrivals, _, _ = holder.recv()
            if len(arrivals) >= sockets or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        missing += sockets - len(arrivals)
        per_socket += [a - t for a in arrivals]
        if arrivals:
            until_all.append(max(arrivals) - t)
        time.sleep(0.3)
    return per_socket, until_all, missing


def pct(values: list[float], q: float) -> float:
    return loadgen.percentile_ms(values, q) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--wagers-per-bettor", type=int, default=100)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    raise_descriptor_limit()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"ws bench: {os.cpu_count()} CPUs visible, load average {load} at start")
    print("(the machine may be shared: compare the ratios, measured in the same run)")
    with tempfile.TemporaryDirectory(prefix="sbws-") as tmpdir:
        tmp = Path(tmpdir)
        url = f"sqlite:///{tmp / 'bench.db'}"
        db = create_database(url)
        upgrade(db)
        op_id = operator(db)
        with UnitOfWork(db.write_sessions) as uow:
            op_token = accounts.issue_token(uow, op_id, timedelta(hours=2))
            uow.commit()
        bettors = setup_bettors(db, CLIENTS, 10_000_000)
        market = new_market(db, op_id)
        db.dispose()
        n = args.wagers_per_bettor
        with served(url, tmp) as (base, pid):
            wagers(base, bettors, market, 5, "warm")
            health(base, 50)
            h0 = health(base)
            w0 = wagers(base, bettors, market, n, "base")
            rss0 = rss_mb(pid)
            print(f"\n    no sockets: health p50 {h0[0]:.1f} ms, p99 {h0[1]:.1f} ms;")
            print(f"      wagers {w0[0]:,.0f}/s, p50 {w0[1]:.1f} ms, p99 {w0[2]:.1f} ms;")
            print(f"      server RSS {rss0:.0f} MB")

            ctx = multiprocessing.get_context("spawn")
            ours, theirs = ctx.Pipe()
            holder = ctx.Process(target=_holder_main, args=(theirs, base, args.sockets))
            holder.start()
            try:
                ours.send(("open", None))
                opened, seconds, errors = ours.recv()
                rss1 = rss_mb(pid)
                print(
                    f"\n    {opened:,} of {args.sockets:,} sockets open in {seconds:.1f} s"
                    + (f" (first errors: {errors})" if errors else "")
                )
                print(
                    f"      server RSS {rss1:.0f} MB (+{rss1 - rss0:.0f} MB,"
                    f" {(rss1 - rss0) * 1024 / max(opened, 1):.1f} KB a socket)"
                )
                h1 = health(base)
                w1 = wagers(base, bettors, market, n, "open")
                print(
                    f"    with them: health p50 {h1[0]:.1f} ms ({h1[0] / h0[0]:.2f}x),"
                    f" p99 {h1[1]:.1f} ms ({h1[1] / h0[1]:.2f}x);"
                )
                print(
                    f"      wagers {w1[0]:,.0f}/s ({w1[0] / w0[0]:.2f}x),"
                    f" p50 {w1[1]:.1f} ms ({w1[1] / w0[1]:.2f}x),"
                    f" p99 {w1[2]:.1f} ms ({w1[2] / w0[2]:.2f}x)"
                    " while every socket gets the market's odds"
                )
                per_socket, until_all, missing = delivery(base, op_token, ours, opened, args.events)
                print(
                    f"    a market event to all {opened:,} sockets ({args.events} events, from the"
                    f" API call): p50 {pct(until_all, 0.5):.0f} ms, p99 {pct(until_all, 0.99):.0f}"
                    f" ms; per socket p50 {pct(per_socket, 0.5):.0f} ms,"
                    f" p99 {pct(per_socket, 0.99):.0f} ms"
                    + (f"; {missing} deliveries missing" if missing else "")
                )
                ours.send(("arrivals", -1))
                _, frames, closed = ours.recv()
                print(
                    f"      {frames:,} frames received in all; {closed} sockets closed by the"
                    f" server; server RSS now {rss_mb(pid):.0f} MB"
                )
                ours.send(("close", None))
                ours.recv()
            finally:
                holder.join(timeout=30)
                if holder.is_alive():
                    holder.kill()
            time.sleep(1)
            h2 = health(base)
            w2 = wagers(base, bettors, market, n, "after")
            print(
                f"\n    closed again: health p50 {h2[0]:.1f} ms, p99 {h2[1]:.1f} ms;"
                f" wagers {w2[0]:,.0f}/s, p99 {w2[2]:.1f} ms (drift check)"
            )


if __name__ == "__main__":
    main()
