"""Betting benchmark: prints figures, asserts nothing about time.

1. Wagers through the HTTP API: 32 concurrent bettors, each on its own keep-alive
   connection from a load generator in a process of its own (bench/loadgen.py), against
   the real gunicorn server (`streambet serve`, a subprocess), on SQLite and, when
   STREAMBET_TEST_DATABASE_URL is set, PostgreSQL; next to the raw rate of single-row
   INSERT + COMMIT on the same database in the same run.
2. Settlement of one market with 100,000 wagers (set-based payout).
3. `streambet ledger verify` on each database afterwards.

    .venv/bin/python bench/betting.py [--wagers-per-bettor 150] [--settle 100000]
        [--workers 2] [--threads 64]

The server runs as deployed on more than one core: gunicorn workers on SO_REUSEPORT
sockets, SQLite writers queued across them (adapters/db.py WriterLock), wagers group-
committed per worker (services/wager_batches.py), and, when STREAMBET_TEST_REDIS_URL is
set, the Redis event bus (the in-process one cannot reach WebSockets held by another
worker). With `--workers 1` it is `make run`'s single process.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import loadgen
import requests
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from streambet.adapters.db import Database, create_database
from streambet.adapters.migrate import upgrade
from streambet.adapters.orm.accounts import User
from streambet.adapters.orm.betting import LedgerAccount, LedgerEntry, Wager
from streambet.adapters.payments.play import PlayProvider
from streambet.domain.accounts import Principal
from streambet.domain.ledger import AccountKind
from streambet.server import DEFAULT_THREADS
from streambet.services import accounts, deposits, markets, settlement
from streambet.services.ledger import ensure_account, verify_books
from streambet.services.payment_policy import Providers
from streambet.services.settlement import SettlementPolicy
from streambet.services.unit_of_work import UnitOfWork
from streambet.vision.pipeline.taxonomy import get_taxonomy

CLIENTS = 32
_REDIS = os.environ.get("STREAMBET_TEST_REDIS_URL")
REDIS_EVENTS = (
    {"STREAMBET_EVENTS_BACKEND": "redis", "STREAMBET_REDIS_URL": _REDIS} if _REDIS else {}
)
EVENTS = "redis" if _REDIS else "in-process"


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    admin_url = os.environ["STREAMBET_TEST_DATABASE_URL"]
    name = f"sbbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def raw_insert_rate(db: Database, seconds: float = 3.0) -> float:
    """Single-row INSERT + COMMIT, one connection, through the same engine set-up."""
    with db.engine.begin() as conn:
        key = "BIGSERIAL" if db.engine.dialect.name == "postgresql" else "INTEGER"
        conn.execute(text(f"CREATE TABLE bench_raw (id {key} PRIMARY KEY, v INTEGER)"))
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        with db.write_sessions() as s:
            s.execute(text("INSERT INTO bench_raw (v) VALUES (:v)"), {"v": n})
            s.commit()
        n += 1
    rate = n / (time.perf_counter() - start)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_raw"))
    return rate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(
    url: str, data_dir: Path, workers: int, threads: int, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    port = free_port()
    env = {
        **(extra_env or {}),
        **os.environ,
        "STREAMBET_DATABASE_URL": url,
        "STREAMBET_DATA_DIR": str(data_dir),
        "STREAMBET_QUEUE_BACKEND": "memory",
        **REDIS_EVENTS,
        "STREAMBET_EMBEDDED_WORKER": "false",
        "STREAMBET_LOG_LEVEL": "WARNING",
    }
    cmd = [
        sys.executable,
        "-m",
        "streambet.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
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
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def setup_bettors(db: Database, count: int, amount: int) -> list[tuple[int, str]]:
    out = []
    play = PlayProvider()
    providers = Providers({"play": play}, play)
    uow = functools.partial(UnitOfWork, db.write_sessions)
    for i in range(count):
        email = f"bench{i}-{uuid.uuid4().hex[:6]}@example.test"
        p = accounts.create_account(uow(), email, "bench password", "bettor")
        token = accounts.issue_token(uow(), p.user_id, timedelta(hours=1))
        deposits.start_deposit(uow, providers, p.user_id, amount)
        out.append((p.user_id, token))
    return out


def new_market(
    db: Database, operator: Principal, max_stake: int = 1_000_000
) -> tuple[int, int, int]:
    v = markets.create_market(
        UnitOfWork(db.write_sessions),
        get_taxonomy(),
        operator,
        "Bench: will a cat appear?",
        [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
        takeout_bp=500,
        max_stake=max_stake,
    )
    return v.id, v.outcomes[0].id, v.outcomes[1].id


def operator(db: Database) -> Principal:
    email = f"op-{uuid.uuid4().hex[:6]}@example.test"
    return accounts.create_account(
        UnitOfWork(db.write_sessions), email, "bench password", "operator"
    )


def http_wagers(
    base: str,
    bettors: list[tuple[int, str]],
    market: tuple[int, int, int],
    per_bettor: int,
    tag: str,
) -> tuple[int, float, list[float]]:
    """Each bettor on its own keep-alive connection places `per_bettor` wagers in a row."""
    calls = loadgen.wager_calls(bettors, market, per_bettor, tag)
    result = loadgen.run(base, calls)
    placed = result.count(201)
    if placed != len(bettors) * per_bettor:
        print(f"    {len(bettors) * per_bettor - placed} not placed, first: {result.first_error}")
    return placed, result.elapsed_s, result.latencies_s


def http_reads(base: str, bettors: list[tuple[int, str]], per_bettor: int) -> float:
    """Same clients, same server: GET /api/me (auth + one read), the HTTP stack's own cost."""
    calls = [
        [loadgen.Call("GET", "/api/me", {"Authorization": f"Bearer {token}"})] * per_bettor
        for _, token in bettors
    ]
    result = loadgen.run(base, calls)
    if result.count(200) != len(bettors) * per_bettor:
        raise RuntimeError(f"GET /api/me failed: {result.first_error}")
    return len(result.latencies_s) / result.elapsed_s


def bulk_wagers(db: Database, market: tuple[int, int, int], n: int, users: int) -> None:
    """n wagers from `users` fresh bettors, written straight to the tables with their ledger
    entries (so the ledger verifies), in bulk: this is set-up, not what is measured."""
    market_id, yes, no = market
    now = datetime.now(UTC)
    stake_of = [1 + (i * 7919) % 500 for i in range(n)]
    with UnitOfWork(db.write_sessions) as uow:
        s = uow.session
        first = s.execute(text("SELECT COALESCE(MAX(id), 0) FROM app_user")).scalar_one() + 1
        s.execute(
            insert(User),
            [
                {
                    "id": first + u,
                    "email": f"bulk{first + u}@example.test",
                    "display_name": "bulk",
                    "password_hash": "!",
                    "role": "bettor",
                    "created_at": now,
                }
                for u in range(users)
            ],
        )
        per_user = [0] * users
        for i in range(n):
            per_user[i % users] += stake_of[i]
        mint = ensure_account(s, "mint", AccountKind.MINT)
        pool = s.execute(
            text("SELECT id FROM ledger_account WHERE code = :c"), {"c": f"pool:{market_id}"}
        ).scalar_one()
        s.execute(
            insert(LedgerAccount),
            [
                {
                    "code": f"wallet:{first + u}",
                    "kind": "wallet",
                    "user_id": first + u,
                    "balance": 0,
                    "created_at": now,
                }
                for u in range(users)
            ],
        )
        wallets = dict(
            s.execute(
                text(
                    "SELECT user_id, id FROM ledger_account WHERE kind = 'wallet' AND user_id >= :f"
                ),
                {"f": first},
            ).all()
        )
        s.execute(
            insert(LedgerEntry),
            [
                row
                for u in range(users)
                for row in (
                    {
                        "movement": f"grant:u{first + u}",
                        "kind": "grant",
                        "account_id": mint,
                        "amount": -per_user[u],
                        "created_at": now,
                    },
                    {
                        "movement": f"grant:u{first + u}",
                        "kind": "grant",
                        "account_id": wallets[first + u],
                        "amount": per_user[u],
                        "created_at": now,
                    },
                )
            ],
        )
        base_id = s.execute(text("SELECT COALESCE(MAX(id), 0) FROM wager")).scalar_one() + 1
        s.execute(
            insert(Wager),
            [
                {
                    "id": base_id + i,
                    "market_id": market_id,
                    "outcome_id": yes if i % 3 else no,
                    "user_id": first + i % users,
                    "account_id": wallets[first + i % users],
                    "stake": stake_of[i],
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        s.execute(
            insert(LedgerEntry),
            [
                row
                for i in range(n)
                for row in (
                    {
                        "movement": f"stake:w{base_id + i}",
                        "kind": "stake",
                        "account_id": wallets[first + i % users],
                        "amount": -stake_of[i],
                        "market_id": market_id,
                        "wager_id": base_id + i,
                        "created_at": now,
                    },
                    {
                        "movement": f"stake:w{base_id + i}",
                        "kind": "stake",
                        "account_id": pool,
                        "amount": stake_of[i],
                        "market_id": market_id,
                        "wager_id": base_id + i,
                        "created_at": now,
                    },
                )
            ],
        )
        total = sum(stake_of)
        yes_total = sum(st for i, st in enumerate(stake_of) if i % 3)
        s.execute(
            text("UPDATE ledger_account SET balance = balance - :t WHERE id = :m"),
            {"t": total, "m": mint},
        )
        s.execute(
            text("UPDATE ledger_account SET balance = balance + :t WHERE id = :p"),
            {"t": total, "p": pool},
        )
        no_count = (n + 2) // 3  # i % 3 == 0 backs NO
        bump = "UPDATE market_outcome SET pool = pool + :t, wager_count = wager_count + :c"
        s.execute(text(bump + " WHERE id = :o"), {"t": yes_total, "c": n - no_count, "o": yes})
        s.execute(text(bump + " WHERE id = :o"), {"t": total - yes_total, "c": no_count, "o": no})
        uow.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def settle_bench(db: Database, op: Principal, n: int) -> None:
    market = new_market(db, op)
    t = time.perf_counter()
    bulk_wagers(db, market, n, users=1000)
    print(f"    set-up: {n:,} wagers written in {time.perf_counter() - t:.1f} s (not measured)")
    policy = SettlementPolicy()
    markets.lock_market(UnitOfWork(db.write_sessions), market[0], by=op)
    settlement.resolve_manually(UnitOfWork(db.write_sessions), market[0], market[1], op, policy)
    later = datetime.now(UTC) + timedelta(hours=1)
    t = time.perf_counter()
    summary = settlement.finalize_market(UnitOfWork(db.write_sessions), market[0], now=later)
    elapsed = time.perf_counter() - t
    assert summary is not None
    print(
        f"    settle {summary.wagers:,} wagers: {elapsed:.2f} s  (pool {summary.gross:,},"
        f" paid {summary.paid:,}, takeout {summary.takeout:,}, breakage {summary.breakage})"
    )


def ledger_verify(url: str, data_dir: Path) -> None:
    env = {**os.environ, "STREAMBET_DATABASE_URL": url, "STREAMBET_DATA_DIR": str(data_dir)}
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "streambet.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(
        f"    ledger verify: exit {r.returncode} {r.stdout.strip()}"
        f" ({time.perf_counter() - t:.1f} s)" + (f"\n{r.stderr}" if r.returncode else "")
    )


def bench(kind: str, args: argparse.Namespace) -> float:
    """Prints the figures on `kind`; returns its HTTP wagers/s."""
    with tempfile.TemporaryDirectory(prefix="sbbench-") as tmpdir:
        tmp = Path(tmpdir)
        with database(kind, tmp) as url:
            db = create_database(url)
            try:
                upgrade(db)
                print(f"\n== {kind} ==")
                raw = raw_insert_rate(db)
                print(f"    raw single-row INSERT+COMMIT: {raw:,.0f} rows/s (1 connection)")
                op = operator(db)
                bettors = setup_bettors(db, CLIENTS, 10_000_000)
                market = new_market(db, op)
                workers = args.workers
                with served(url, tmp, workers, args.threads) as base:
                    http_wagers(base, bettors, market, 5, "warm")  # warm-up: imports, caches
                    n = args.wagers_per_bettor
                    ok, elapsed, lat = http_wagers(base, bettors, market, n, "run")
                    reads = http_reads(base, bettors, args.wagers_per_bettor)
                rate = ok / elapsed
                p50, p99 = (loadgen.percentile_ms(lat, q) for q in (0.50, 0.99))
                print(
                    f"    HTTP wagers: {ok:,} in {elapsed:.2f} s = {rate:,.0f} wagers/s,"
                    f" p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                    f" ({CLIENTS} bettors; gunicorn {workers} worker(s) x"
                    f" {args.threads} threads, {EVENTS} events); {rate / raw:.2f}x the raw"
                    " insert rate"
                )
                print(
                    f"    HTTP GET /api/me, same clients and server: {reads:,.0f} requests/s"
                    f" (wagers run at {rate / reads:.2f}x that)"
                )
                if args.settle:
                    settle_bench(db, op, args.settle)
                assert verify_books(UnitOfWork(db.read_sessions)) == []
            finally:
                db.dispose()
            ledger_verify(url, tmp)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wagers-per-bettor", type=int, default=150)
    parser.add_argument("--settle", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="per worker, as `streambet serve`"
    )
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"betting bench: {os.cpu_count()} CPUs visible, load average {load} at start")
    sqlite = bench("sqlite", args)
    if os.environ.get("STREAMBET_TEST_DATABASE_URL"):
        postgres = bench("postgresql", args)
        print(f"\nPostgreSQL / SQLite HTTP wagers/s, same run: {postgres / sqlite:.2f}")
    else:
        print("\n(PostgreSQL skipped: set STREAMBET_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
