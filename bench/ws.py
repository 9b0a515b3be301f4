"""WebSocket benchmark: prints figures, asserts nothing about time.

Against `streambet serve` (one worker, default threads and caps, SQLite, a subprocess),
in rounds (default 3), each of them:
1. without sockets: `/api/health` latency (one client, requests back to back), wagers
   (32 bettors on keep-alive connections, bench/loadgen.py) and health again while a
   wager run goes on;
2. N WebSockets opened (default 2,000) by a holder process of its own (asyncio, raw
   sockets, from many loopback addresses so the default per-address cap holds), each
   greeted with `hello`; the server's RSS before and after;
3. the same runs with the N sockets open, every one of them receiving the market's odds
   as the wagers land;
4. delivery: markets created through the API, one at a time; for each, how long from the
   API call until every socket had its `market.status`, and each socket's own time;
5. the sockets closed.
Then the median over the rounds of each with/without ratio. Rounds interleave the two
states so that load from other processes on a shared machine falls on both alike.

    .venv/bin/python bench/ws.py [--sockets 2000] [--wagers-per-bettor 100] [--events 20]
        [--rounds 3]

Both this process and the holder raise their soft open-file limit to the hard one
(`resource.setrlimit`), as `streambet serve` does; N sockets need N descriptors on each
side. The holder runs on the same machine, so the CPU it spends receiving is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
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
        elif command == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(usage.ru_utime + usage.ru_stime)
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
    calls = loadgen.wager_calls(bettors, market, n, tag)
    result = loadgen.run(base, calls)
    placed = result.count(201)
    if placed != len(bettors) * n:
        raise RuntimeError(f"wagers failed: {result.first_error}")
    lat = result.latencies_s
    return placed / result.elapsed_s, *(loadgen.percentile_ms(lat, q) for q in (0.5, 0.99))


def health_during_wagers(
    base: str, bettors: list[tuple[int, str]], market: tuple[int, int, int], n: int, tag: str
) -> tuple[float, float]:
    """Health latency while the wager run goes on beside it (each from its own process)."""
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(wagers(base, bettors, market, n, tag)))
    thread.start()
    time.sleep(1.0)  # the wager clients are connected and running
    figures = health(base, 100)
    thread.join()
    return figures


def delivery(
    base: str, token: str, holder: HolderProcess, sockets: int, events: int
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
            arrivals, _, _ = holder.ask("arrivals", market_id)
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


@dataclass
class Phase:
    """One measurement of the server: health alone, wagers, health during wagers."""

    health: tuple[float, float]
    wagers: tuple[float, float, float]
    health_busy: tuple[float, float]

    @staticmethod
    def measure(
        base: str, bettors: list[tuple[int, str]], market: tuple[int, int, int], n: int, tag: str
    ) -> Phase:
        return Phase(
            health(base),
            wagers(base, bettors, market, n, tag),
            health_during_wagers(base, bettors, market, n, tag + "-h"),
        )

    def line(self) -> str:
        (h50, h99), (rate, w50, w99), (b50, b99) = self.health, self.wagers, self.health_busy
        return (
            f"health p50 {h50:.1f} / p99 {h99:.1f} ms; wagers {rate:,.0f}/s, p50 {w50:.1f} /"
            f" p99 {w99:.1f} ms; health during wagers p50 {b50:.1f} / p99 {b99:.1f} ms"
        )


class HolderProcess:
    def __init__(self, base: str, sockets: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_holder_main, args=(theirs, base, sockets))
        self.proc.start()

    def ask(self, command: str, arg: Any = None) -> Any:
        self.conn.send((command, arg))
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.ask("close")
        finally:
            self.proc.join(timeout=30)
            if self.proc.is_alive():
                self.proc.kill()


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--wagers-per-bettor", type=int, default=100)
    parser.add_argument("--events", type=int, default=20, help="market events timed per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raise_descriptor_limit()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"ws bench: {os.cpu_count()} CPUs visible, load average {load} at start")
    print(
        "(the machine may be shared: each round measures without, then with the sockets;"
        " compare the ratios)"
    )
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
        ratios: dict[str, list[float]] = {}
        per_socket: list[float] = []
        until_all: list[float] = []
        missing = 0
        with served(url, tmp) as (base, pid):
            wagers(base, bettors, market, 5, "warm")
            health(base, 50)
            for r in range(args.rounds):
                without = Phase.measure(base, bettors, market, n, f"r{r}-without")
                rss0 = rss_mb(pid)
                holder = HolderProcess(base, args.sockets)
                try:
                    opened, seconds, errors = holder.ask("open")
                    rss1 = rss_mb(pid)
                    cpu0 = holder.ask("cpu")
                    with_ = Phase.measure(base, bettors, market, n, f"r{r}-with")
                    holder_cpu = holder.ask("cpu") - cpu0
                    socket_times, all_times, lost = delivery(
                        base, op_token, holder, opened, args.events
                    )
                    per_socket += socket_times
                    until_all += all_times
                    missing += lost
                    _, frames, closed = holder.ask("arrivals", -1)
                finally:
                    holder.stop()
                print(f"\n  round {r + 1}")
                print(f"    without sockets: {without.line()}")
                print(f"    with {opened:,} open: {with_.line()}")
                print(
                    f"    {opened:,} of {args.sockets:,} opened in {seconds:.1f} s"
                    + (f" (first errors: {errors})" if errors else "")
                    + f"; server RSS {rss0:.0f} -> {rss1:.0f} MB"
                    f" ({(rss1 - rss0) * 1024 / max(opened, 1):.1f} KB a socket);"
                    f" {frames:,} frames received, {closed} sockets closed by the server;"
                    f" the holder used {holder_cpu:.1f} CPU-s receiving during the runs"
                )
                pairs = {
                    "health p50": (without.health[0], with_.health[0]),
                    "health p99": (without.health[1], with_.health[1]),
                    "wagers/s": (without.wagers[0], with_.wagers[0]),
                    "wager p50": (without.wagers[1], with_.wagers[1]),
                    "wager p99": (without.wagers[2], with_.wagers[2]),
                    "health p50 during wagers": (without.health_busy[0], with_.health_busy[0]),
                    "health p99 during wagers": (without.health_busy[1], with_.health_busy[1]),
                }
                for name, (a, b) in pairs.items():
                    ratios.setdefault(name, []).append(b / a)
                time.sleep(1)
        print(f"\n  with {args.sockets:,} sockets open / without, median of {args.rounds} rounds:")
        for name, values in ratios.items():
            spread = ", ".join(f"{v:.2f}" for v in values)
            print(f"    {name}: {median(values):.2f}x  ({spread})")
        print(
            f"  a market event to every socket ({args.events * args.rounds} events, from the API"
            f" call that caused it): all sockets had it after p50 {pct(until_all, 0.5):.0f} ms,"
            f" p99 {pct(until_all, 0.99):.0f} ms; per socket p50 {pct(per_socket, 0.5):.0f} ms,"
            f" p99 {pct(per_socket, 0.99):.0f} ms"
            + (f"; {missing} deliveries missing" if missing else "")
        )


if __name__ == "__main__":
    main()
