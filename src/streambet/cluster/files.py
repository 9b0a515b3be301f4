"""The local cluster's configuration, generated into its run folder: HAProxy's and
supervisord's files and each node's environment.

Everything listens on loopback only. Nodes share nothing but PostgreSQL, Redis and the
S3 endpoint: each has its own data folder (its SQLite-free scratch space, logs, metrics).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BUCKET = "streambet"
DATABASE = "streambet"


@dataclass(frozen=True)
class Ports:
    """Every port the cluster listens on, from `base` up (loopback)."""

    base: int = 18000

    @property
    def lb(self) -> int:
        return self.base

    @property
    def stats(self) -> int:
        return self.base + 1

    @property
    def postgres(self) -> int:
        return self.base + 2

    @property
    def redis(self) -> int:
        return self.base + 3

    @property
    def s3(self) -> int:
        return self.base + 4

    def web(self, i: int) -> int:
        return self.base + 10 + i

    def worker_metrics(self, i: int) -> int:
        return self.base + 20 + i


@dataclass(frozen=True)
class Layout:
    run_dir: Path
    ports: Ports = field(default_factory=Ports)
    web_nodes: int = 2
    worker_nodes: int = 2
    worker_threads: int = 1
    model_dir: Path | None = None  # the built model cache, read-only and shared
    job_lease_seconds: int = 10
    extra_env: tuple[tuple[str, str], ...] = ()

    @property
    def webs(self) -> list[str]:
        return [f"web{i}" for i in range(1, self.web_nodes + 1)]

    @property
    def workers(self) -> list[str]:
        return [f"worker{i}" for i in range(1, self.worker_nodes + 1)]

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.ports.postgres}/{DATABASE}"

    @property
    def pg_data(self) -> Path:
        """PostgreSQL's data folder. Run as root, PostgreSQL runs as the postgres user,
        who may not reach into the run folder (pytest's are private), so it lives in a
        folder of its own named after the run folder."""
        if os.geteuid() != 0:
            return self.run_dir / "postgres"
        digest = hashlib.sha1(str(self.run_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"streambet-cluster-pg-{digest}"

    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.lb}"

    def node_env(self, node: str) -> dict[str, str]:
        """The settings of one node: shared services by URL, its own data folder."""
        env = {
            "STREAMBET_DATA_DIR": str(self.run_dir / node),
            "STREAMBET_DATABASE_URL": self.database_url,
            "STREAMBET_QUEUE_BACKEND": "redis",
            "STREAMBET_EVENTS_BACKEND": "redis",
            "STREAMBET_REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
            "STREAMBET_STORAGE_BACKEND": "s3",
            "STREAMBET_S3_BUCKET": BUCKET,
            "STREAMBET_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.ports.s3}",
            "STREAMBET_EMBEDDED_WORKER": "false",
            "STREAMBET_JOB_LEASE_SECONDS": str(self.job_lease_seconds),
            # moto accepts any credentials; in production these come from the platform
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        if self.model_dir is not None:
            env["STREAMBET_MODEL_DIR"] = str(self.model_dir)
        if node.startswith("worker"):
            env["STREAMBET_METRICS_PORT"] = str(self.ports.worker_metrics(_index(node)))
        return {**env, **dict(self.extra_env)}


def _index(node: str) -> int:
    return int(node.removeprefix("web").removeprefix("worker"))


def haproxy_cfg(layout: Layout) -> str:
    """Round robin over the web nodes; /api/health/live decides who is in (not the
    dependencies: their outage is the app's to answer, with 503 and Retry-After). A node that stops
    closes its listener (gunicorn) and fails its checks, so new requests go to the others
    while its in-flight ones finish; a connection refused is retried on another node (it
    never reached the app). WebSockets pass through as tunnels."""
    p = layout.ports
    servers = "\n".join(f"    server {n} 127.0.0.1:{p.web(_index(n))} check" for n in layout.webs)
    return f"""global
    maxconn 4000
    stats socket {layout.run_dir / "haproxy.sock"} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 120s
    timeout tunnel 1h
    timeout http-keep-alive 10s
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend lb
    bind 127.0.0.1:{p.lb}
    # the request id every node logs and traces: kept when a client sends one
    http-request set-header X-Request-ID %[uuid()] unless {{ req.hdr(X-Request-ID) -m found }}
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /api/health/live
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}

listen stats
    bind 127.0.0.1:{p.stats}
    stats enable
    stats uri /
"""


def supervisord_conf(layout: Layout, *, as_root: bool) -> str:
    """One program per process; the infrastructure starts with supervisord, the app nodes
    once the database is migrated (cluster/control.py). Stopping sends SIGTERM and waits:
    a web node finishes its requests, a worker hands its jobs back."""
    run = layout.run_dir
    bin_dir = Path(sys.executable).parent
    streambet = bin_dir / "streambet"
    p = layout.ports
    parts = [
        f"""[unix_http_server]
file={run / "supervisor.sock"}

[supervisord]
logfile={run / "supervisord.log"}
pidfile={run / "supervisord.pid"}
childlogdir={run / "logs"}
nodaemon=false

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run / "supervisor.sock"}
""",
        _program(
            "postgres",
            f"{postgres_bin('postgres')} -D {layout.pg_data} -p {p.postgres} -k {layout.pg_data}"
            " -c listen_addresses=127.0.0.1 -c max_connections=200",
            run,
            user="postgres" if as_root else None,
            directory=layout.pg_data,
            stopsignal="INT",  # a fast shutdown: rolls back open transactions, then exits
        ),
        _program(
            "redis",
            f"redis-server --bind 127.0.0.1 --port {p.redis} --save '' --appendonly no --dir {run}",
            run,
        ),
        _program("s3", f"{bin_dir / 'moto_server'} -H 127.0.0.1 -p {p.s3}", run),
        _program("haproxy", f"haproxy -db -f {run / 'haproxy.cfg'}", run),
    ]
    for node in layout.webs:
        cmd = f"{streambet} serve --host 127.0.0.1 --port {p.web(_index(node))} --workers 1"
        parts.append(_program(node, cmd, run, env=layout.node_env(node), autostart=False))
    for node in layout.workers:
        cmd = f"{streambet} worker --threads {layout.worker_threads}"
        parts.append(_program(node, cmd, run, env=layout.node_env(node), autostart=False))
    return "\n".join(parts)


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, or where Debian's packages keep it."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL (Debian: postgresql)")
    return str(versions[-1])


def _program(
    name: str,
    command: str,
    run: Path,
    *,
    env: dict[str, str] | None = None,
    user: str | None = None,
    directory: Path | None = None,
    autostart: bool = True,
    stopsignal: str = "TERM",
) -> str:
    lines = [
        f"[program:{name}]",
        f"command={command}",
        f"directory={directory or run}",
        f"autostart={'true' if autostart else 'false'}",
        "autorestart=false",  # a killed node stays dead until told: the fault tests see it
        "startsecs=1",
        f"stopsignal={stopsignal}",
        "stopwaitsecs=40",  # gunicorn's graceful timeout is 30 s
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        f"stdout_logfile={run / 'logs' / (name + '.log')}",
    ]
    if user:
        lines.append(f"user={user}")
    if env:
        pairs = ",".join(f"{k}={_quote(v)}" for k, v in sorted(env.items()))
        lines.append(f"environment={pairs}")
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    # supervisord parses environment= as a comma list of KEY="value" pairs
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'
