"""A small HTTP/1.1 load generator: N keep-alive connections, each sending its own requests
one after another (a closed loop, like N users), with every request's latency recorded.

It runs in a process of its own on asyncio with raw sockets, so the load costs a few tens
of microseconds of CPU a request instead of the millisecond a `requests` session costs:
on a 2-core machine the client otherwise takes the core the server needs, and the figure
measures the client. Responses are parsed only as far as the status line, Content-Length
and body, which is all our JSON API sends (no chunked encoding).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: object | None = None  # sent as JSON

    def encode(self, host: str) -> bytes:
        payload = b"" if self.body is None else json.dumps(self.body).encode()
        head = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        head += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


@dataclass
class Result:
    elapsed_s: float
    latencies_s: list[float]
    statuses: Counter[int]
    first_error: str | None

    def count(self, status: int) -> int:
        return self.statuses[status]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str, port: int, requests: list[bytes], start: asyncio.Event, out: Result
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await start.wait()
        for raw in requests:
            t = time.perf_counter()
            writer.write(raw)
            status, body = await _read_response(reader)
            out.latencies_s.append(time.perf_counter() - t)
            out.statuses[status] += 1
            if status >= 400 and out.first_error is None:
                out.first_error = f"{status} {body[:200].decode(errors='replace')}"
    finally:
        writer.close()


async def _run(base: str, per_connection: Sequence[Sequence[Call]]) -> Result:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    netloc = url.netloc
    encoded = [[c.encode(netloc) for c in calls] for calls in per_connection]
    out = Result(0.0, [], Counter(), None)
    start = asyncio.Event()
    tasks = [asyncio.create_task(_connection(host, port, reqs, start, out)) for reqs in encoded]
    await asyncio.sleep(0.2)  # every connection open before the clock starts
    t = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    out.elapsed_s = time.perf_counter() - t
    return out


def _child(base: str, per_connection: Sequence[Sequence[Call]]) -> Result:
    return asyncio.run(_run(base, per_connection))


def run(base: str, per_connection: Sequence[Sequence[Call]]) -> Result:
    """Sends each connection's calls in order, all connections at once, from a child
    process; returns when every call has been answered."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_child, (base, per_connection))


def percentile_ms(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def wager_calls(
    bettors: Sequence[tuple[int, str]], market: tuple[int, int, int], per_bettor: int, tag: str
) -> list[list[Call]]:
    """Per bettor (user id, token), `per_bettor` wagers in a row on `market` (id, yes, no):
    two in three on yes, stakes 1-50, each with its own Idempotency-Key."""
    market_id, yes, no = market
    return [
        [
            Call(
                "POST",
                f"/api/markets/{market_id}/wagers",
                {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{tag}-{user_id}-{i}"},
                {"outcome_id": yes if i % 3 else no, "stake": 1 + i % 50},
            )
            for i in range(per_bettor)
        ]
        for user_id, token in bettors
    ]
