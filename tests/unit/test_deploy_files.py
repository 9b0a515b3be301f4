"""deploy/ kept in step with config.py: every STREAMBET_* variable the Dockerfile and the
compose file set is a setting with a valid value, and the ports HAProxy and Prometheus
use are the ones the nodes listen on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from streambet.config import ConfigError, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _interpolated(value: object) -> str:
    """What compose would pass: ${VAR:-default} as its default, ${VAR:?message} (a value
    the operator must give) as a stand-in secret."""

    def sub(m: re.Match[str]) -> str:
        whole = m.group(0)
        return m.group(2) if ":-" in whole else "a-secret-given-at-deploy-time-" + m.group(1)

    return _INTERPOLATION.sub(sub, str(value))


def _nodes() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return {n: s for n, s in services.items() if s.get("image", "").startswith("streambet")}


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: _interpolated(v) for k, v in (service.get("environment") or {}).items()}


def _dockerfile_env() -> dict[str, str]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    final_stage = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def test_every_node_of_the_compose_file_has_valid_settings() -> None:
    nodes = _nodes()
    assert {"web1", "web2", "worker1", "worker2", "migrate"} <= set(nodes)
    image = {k: v for k, v in _dockerfile_env().items() if k.startswith("STREAMBET_")}
    for name, service in nodes.items():
        env = {**image, **_env(service)}
        settings = load_settings(environ=env)  # unknown names and bad values raise
        assert settings.is_production, name
        assert settings.queue_backend == settings.events_backend == "redis", name
        assert settings.storage_backend == "s3" and not settings.embedded_worker, name
        assert settings.resolved_database_url.startswith("postgresql"), name


def test_the_image_defaults_are_settings() -> None:
    env = _dockerfile_env()
    assert {"STREAMBET_DATA_DIR", "STREAMBET_MODEL_DIR"} <= set(env)
    settings = load_settings(environ={**env, "STREAMBET_SECRET_KEY": "x" * 40})
    assert str(settings.resolved_model_dir) == "/opt/models"
    assert "USER streambet" in (DEPLOY / "Dockerfile").read_text()  # not root


def test_a_misspelt_setting_would_fail_this_check() -> None:
    with pytest.raises(ConfigError, match="STREAMBET_QUEUE_BACKEN"):
        load_settings(environ={"STREAMBET_QUEUE_BACKEN": "redis"})


def _port_of(command: list[str]) -> str:
    return command[command.index("--port") + 1]


def test_the_load_balancer_and_prometheus_reach_every_node() -> None:
    nodes = _nodes()
    webs = {n: _port_of(s["command"]) for n, s in nodes.items() if n.startswith("web")}
    workers = {
        n: _env(s)["STREAMBET_METRICS_PORT"] for n, s in nodes.items() if n.startswith("worker")
    }
    haproxy = (DEPLOY / "haproxy.cfg").read_text()
    assert set(re.findall(r"server (\w+) (\w+:\d+)", haproxy)) == {
        (n, f"{n}:{p}") for n, p in webs.items()
    }
    assert "option httpchk GET /api/health/live" in haproxy
    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = {
        t
        for job in prometheus["scrape_configs"]
        for c in job["static_configs"]
        for t in c["targets"]
    }
    assert targets == {f"{n}:{p}" for n, p in {**webs, **workers}.items()}
