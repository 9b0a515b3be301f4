"""Starting, inspecting and stopping the local cluster (`streambet cluster up|down`, `make
cluster`). supervisord (from PyPI) runs every process; this module only prepares the run
folder, waits for each part to be ready and asks supervisord to start or stop programs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import psycopg
import requests

from streambet.cluster.files import (
    BUCKET,
    DATABASE,
    Layout,
    haproxy_cfg,
    postgres_bin,
    supervisord_conf,
)


def _as_root() -> bool:
    return os.geteuid() == 0


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class ClusterFailed(RuntimeError):
    """A part of the cluster died while it was starting."""


def wait_for(what: str, ready: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except ClusterFailed:
            raise
        except Exception:  # not up yet: any failure to answer means "try again"
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s")


class Cluster:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.run = layout.run_dir

    # supervisord
    def ctl(self, *args: str, check: bool = True) -> str:
        conf = str(self.run / "supervisord.conf")
        result = subprocess.run(
            [_bin("supervisorctl"), "-c", conf, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        # supervisorctl exits non-zero when a program is not running: callers decide
        if check and result.returncode not in (0, 3):
            raise RuntimeError(f"supervisorctl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def running(self) -> bool:
        pidfile = self.run / "supervisord.pid"
        if not pidfile.exists():
            return False
        try:
            os.kill(int(pidfile.read_text()), 0)
        except (ProcessLookupError, ValueError):
            return False
        return True

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program).strip() or 0)

    def start(self, *programs: str) -> None:
        self.ctl("start", *programs)

    def stop(self, *programs: str) -> None:
        """Graceful: SIGTERM, then waits (a web node finishes its requests, a worker
        hands back its jobs)."""
        self.ctl("stop", *programs)

    def kill(self, program: str, sig: int = signal.SIGKILL) -> None:
        pid = self.pid(program)
        if pid:
            os.kill(pid, sig)

    # the whole cluster
    def up(self) -> None:
        if self.running():
            raise RuntimeError(f"a cluster is already running from {self.run}")
        self._prepare()
        subprocess.run([_bin("supervisord"), "-c", str(self.run / "supervisord.conf")], check=True)
        layout = self.layout
        wait_for("PostgreSQL", self._postgres_ready)
        self._create_database()
        wait_for("S3", self._create_bucket)
        env = {**os.environ, **layout.node_env("migrate")}
        subprocess.run([_bin("streambet"), "db", "upgrade"], env=env, check=True)
        self.start(*layout.webs, *layout.workers)
        try:
            wait_for("the load balancer", self.healthy, timeout=120)
        except TimeoutError as exc:
            logs = self.run / "logs"
            raise TimeoutError(f"{exc}; see {logs}:\n{self.ctl('status', check=False)}") from exc

    def down(self) -> None:
        if not self.running():
            return
        self.ctl("stop", "all", check=False)
        pid = int((self.run / "supervisord.pid").read_text())
        self.ctl("shutdown", check=False)
        wait_for("supervisord to exit", lambda: not _alive(pid), timeout=90)
        shutil.rmtree(self.layout.pg_data, ignore_errors=True)

    def healthy(self) -> bool:
        status = self.ctl("status", check=False)
        if "FATAL" in status or "EXITED" in status:  # no point waiting: say what died
            raise ClusterFailed(f"a process of the cluster stopped:\n{status}")
        return requests.get(f"{self.layout.lb_url}/api/health", timeout=5).status_code == 200

    def _prepare(self) -> None:
        layout = self.layout
        shutil.rmtree(self.run, ignore_errors=True)
        (self.run / "logs").mkdir(parents=True)
        for node in (*layout.webs, *layout.workers):
            (self.run / node).mkdir()
        self._initdb()
        (self.run / "haproxy.cfg").write_text(haproxy_cfg(layout))
        conf = supervisord_conf(layout, as_root=_as_root())
        (self.run / "supervisord.conf").write_text(conf)

    def _initdb(self) -> None:
        data = self.layout.pg_data
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(mode=0o700)
        cmd = [postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        if _as_root():  # PostgreSQL refuses to run as root
            shutil.chown(data, "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def _admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.layout.ports.postgres}/postgres"

    def _postgres_ready(self) -> bool:
        with psycopg.connect(self._admin_url(), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    def _create_database(self) -> None:
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def _create_bucket(self) -> bool:
        env = self.layout.node_env("s3")
        s3 = boto3.client(
            "s3",
            endpoint_url=env["STREAMBET_S3_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        s3.create_bucket(Bucket=BUCKET)
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
