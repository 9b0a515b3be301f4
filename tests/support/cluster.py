"""The local cluster (streambet.cluster) for fault tests and bench/cluster.py: started on
free loopback ports in a temporary run folder, with bettors, tokens and a market made
through the service layer on its PostgreSQL."""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from streambet.adapters.db import Database, create_database
from streambet.adapters.payments.play import PlayProvider
from streambet.cluster.control import Cluster
from streambet.cluster.files import Layout, Ports, postgres_bin
from streambet.domain.accounts import Principal
from streambet.services import accounts, deposits, markets
from streambet.services.payment_policy import Providers
from streambet.services.unit_of_work import UnitOfWork
from streambet.vision.pipeline.taxonomy import get_taxonomy

MODELS = Path(__file__).resolve().parents[2] / "var" / "models"


def missing_parts() -> list[str]:
    """What this machine lacks to run a cluster (Debian: haproxy, redis-server,
    postgresql)."""
    missing = [p for p in ("haproxy", "redis-server") if shutil.which(p) is None]
    try:
        postgres_bin("postgres")
        postgres_bin("initdb")
    except FileNotFoundError:
        missing.append("postgresql")
    return missing


def _ports_free(base: int) -> bool:
    for port in range(base, base + 30):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_base() -> int:
    for _ in range(50):
        base = random.randrange(20000, 40000, 100)
        if _ports_free(base):
            return base
    raise RuntimeError("no free range of 30 loopback ports")


@contextmanager
def running_cluster(run_dir: Path, **options: Any) -> Iterator[Cluster]:
    """A cluster up for the block, torn down after it (even when the block fails)."""
    options.setdefault("model_dir", MODELS)
    cluster = Cluster(Layout(run_dir=run_dir, ports=Ports(free_base()), **options))
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


def database(cluster: Cluster) -> Database:
    return create_database(cluster.layout.database_url)


@functools.cache
def _providers() -> Providers:
    play = PlayProvider()
    return Providers({"play": play}, play)


def bettors(db: Database, count: int, amount: int) -> list[tuple[int, str]]:
    """`count` funded bettors: (user id, bearer token)."""
    out = []
    uow = functools.partial(UnitOfWork, db.write_sessions)
    for i in range(count):
        email = f"c{i}-{uuid.uuid4().hex[:8]}@example.test"
        p = accounts.create_account(uow(), email, "cluster password 1", "bettor")
        token = accounts.issue_token(uow(), p.user_id, timedelta(hours=2))
        deposits.start_deposit(uow, _providers(), p.user_id, amount)
        out.append((p.user_id, token))
    return out


def operator(db: Database) -> tuple[Principal, str]:
    email = f"op-{uuid.uuid4().hex[:8]}@example.test"
    p = accounts.create_account(
        UnitOfWork(db.write_sessions), email, "cluster password 1", "operator"
    )
    return p, accounts.issue_token(UnitOfWork(db.write_sessions), p.user_id, timedelta(hours=2))


def market(db: Database, op: Principal) -> tuple[int, int, int]:
    """A YES/NO market taking stakes up to 1,000,000: (market id, YES id, NO id)."""
    m = markets.create_market(
        UnitOfWork(db.write_sessions),
        get_taxonomy(),
        op,
        "Cluster: will a cat appear?",
        [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
        takeout_bp=500,
        max_stake=1_000_000,
    )
    return m.id, m.outcomes[0].id, m.outcomes[1].id


def ledger_verify(cluster: Cluster) -> subprocess.CompletedProcess[str]:
    """`streambet ledger verify` against the cluster's database, as an operator runs it."""
    env = {**os.environ, **cluster.layout.node_env("verify")}
    return subprocess.run(
        [sys.executable, "-m", "streambet.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def log_lines(cluster: Cluster, program: str) -> list[dict[str, Any]]:
    path = cluster.run / "logs" / f"{program}.log"
    lines = []
    for raw in path.read_text().splitlines() if path.exists() else []:
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def lb_status(cluster: Cluster, server: str) -> str:
    """HAProxy's view of a web node (UP, DOWN, MAINT, ...), from its stats socket."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(cluster.run / "haproxy.sock"))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    for line in data.decode().splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == "web" and fields[1] == server:
            return fields[17].split(" ")[0]
    return "?"
