"""Who may call what: every route of the app (its route table, not a hand-kept list)
against anonymous, two bettors, two operators and an admin, in production. Each route
declares the answer each of them gets; a route added without a declaration fails
`test_every_route_has_a_declared_rule`, so none ships without its rule.

Objects are made fresh for each call, owned by `op1` (markets, analyses) and staked on by
`bet1`, so "the other operator" and "the other bettor" are always strangers to them.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from streambet import create_app
from streambet.services import accounts
from tests.support import databases
from tests.support.api import ADULT, PASSWORD, Actor, make_actor, production_config
from tests.support.betting import fund

ACTORS = ("anon", "bet1", "bet2", "op1", "op2", "admin")
SCRIPT = [{"name": "Cat", "start_ms": 0, "end_ms": 1000, "confidence": 95}]
_seq = itertools.count(1)


@dataclass
class World:
    app: Flask
    actors: dict[str, Actor]
    clip: bytes

    def client(self) -> Any:
        return self.app.test_client()

    def headers(self, who: str) -> dict[str, str]:
        if who == "anon":
            return {}
        actor = self.actors[who]
        w = self.app.extensions["streambet"]
        # a fresh token per call: logout revokes the one it is sent with
        token = accounts.issue_token(w.uow(), actor.user_id, timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        return self.client().open(path, method=method, json=body, headers=self.headers(who))

    def ok(self, who: str, method: str, path: str, body: Any = None) -> Any:
        response = self.call(who, method, path, body)
        assert response.status_code < 300, (path, response.get_json())
        return response.get_json()

    # -- fresh objects, all op1's --

    def analysis(self, *, start: bool = True) -> str:
        response = self.client().post(
            "/api/analyze?hold=true",
            data={
                "options": json.dumps({"extra": {"fake_labels": SCRIPT}}),
                "file": (io.BytesIO(self.clip), "clip.mp4"),
            },
            content_type="multipart/form-data",
            headers=self.headers("op1"),
        )
        assert response.status_code == 202, response.get_json()
        job: str = response.get_json()["job_id"]
        if start:
            self.ok("op1", "POST", f"/api/analyses/{job}/start")
        return job

    def market(self, *, analysis_id: str | None = None, staked: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"question": "Cat?", "criteria": {"label": "Cat"}}
        if analysis_id:
            body["analysis_id"] = analysis_id
        market: dict[str, Any] = self.ok("op1", "POST", "/api/markets", body)
        if staked:
            self.ok(
                "bet1",
                "POST",
                f"/api/markets/{market['id']}/wagers",
                {"outcome_id": market["outcomes"][0]["id"], "stake": 10},
            )
        return market

    def locked(self) -> dict[str, Any]:
        market = self.market()
        self.ok("op1", "POST", f"/api/markets/{market['id']}/lock")
        return market

    def resolved(self) -> dict[str, Any]:
        market = self.locked()
        self.ok(
            "admin",
            "POST",
            f"/api/markets/{market['id']}/resolve",
            {"outcome_id": market["outcomes"][0]["id"]},
        )
        return market

    def dispute(self) -> int:
        market = self.resolved()
        found = self.ok("bet1", "POST", f"/api/markets/{market['id']}/disputes", {"reason": "no"})
        return int(found["id"])

    def sealed_analysis(self) -> str:
        """Analysed, with frames, and an open market on it: evidence sealed from bettors."""
        job = self.analysis(start=False)
        self.market(analysis_id=job, staked=False)
        self.ok("op1", "POST", f"/api/analyses/{job}/start")
        return job


Setup = Callable[[World], tuple[str, Any]]  # -> (path, JSON body or None)

APPROVAL_THRESHOLD = 20  # withdrawals above it wait for an admin


@dataclass(frozen=True)
class Rule:
    setup: Setup
    expect: dict[str, int]  # actor -> status
    why: str = ""


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS, status)


def logged_in(status: int, anon: int = 401, **others: int) -> dict[str, int]:
    return {**dict.fromkeys(ACTORS, status), "anon": anon, **others}


def operators(status: int, **others: int) -> dict[str, int]:
    """Operators and admins may; bettors are below the role."""
    return {
        "anon": 401,
        "bet1": 403,
        "bet2": 403,
        "op1": status,
        "op2": status,
        "admin": status,
        **others,
    }


def managers(status: int) -> dict[str, int]:
    """The operator who made it, or an admin."""
    return operators(status, op2=403)


def admins(status: int) -> dict[str, int]:
    return {**dict.fromkeys(ACTORS, 403), "anon": 401, "admin": status}


def owner_sees(status: int, role_floor: str = "bettor") -> dict[str, int]:
    """op1's analysis: op1 and admins; everyone else as if it did not exist."""
    out = {"anon": 401, "bet1": 404, "bet2": 404, "op1": status, "op2": 404, "admin": status}
    if role_floor == "operator":
        out.update(bet1=403, bet2=403)
    return out


def _fixed(path: str, body: Any = None) -> Setup:
    return lambda w: (path, body)


def _signup(w: World) -> tuple[str, Any]:
    return "/api/auth/signup", {
        "email": f"new{next(_seq)}@example.test",
        "password": PASSWORD,
        "birth_date": ADULT,
    }


def mine(status: int) -> dict[str, int]:
    """bet1's own record: bet1; everyone else as if it did not exist."""
    return {**dict.fromkeys(ACTORS, 404), "anon": 401, "bet1": status}


def _own(collection: str, body: Any) -> Setup:
    """A fresh record of bet1's in `collection` (a deposit, a withdrawal)."""

    def setup(w: World) -> tuple[str, Any]:
        made = w.ok("bet1", "POST", collection, body)
        return f"{collection}/{made['id']}", None

    return setup


def _awaiting_approval(suffix: str) -> Setup:
    """bet1's withdrawal above the approval threshold (APPROVAL_THRESHOLD)."""

    def setup(w: World) -> tuple[str, Any]:
        made = w.ok("bet1", "POST", "/api/me/withdrawals", {"amount": APPROVAL_THRESHOLD + 1})
        return f"/api/admin/withdrawals/{made['id']}{suffix}", {"note": "checked"}

    return setup


def _market_path(kind: str, suffix: str = "", body: Any = None) -> Setup:
    def setup(w: World) -> tuple[str, Any]:
        market = getattr(w, kind)()
        filled = body(market) if callable(body) else body
        return f"/api/markets/{market['id']}{suffix}", filled

    return setup


def _analysis_path(suffix: str, *, sealed: bool = True, start: bool = True) -> Setup:
    def setup(w: World) -> tuple[str, Any]:
        job = w.sealed_analysis() if sealed else w.analysis(start=start)
        return f"/api/analyses/{job}{suffix}", None

    return setup


def _resolvable(w: World) -> tuple[str, Any]:
    job = w.analysis(start=False)
    market = w.market(analysis_id=job)
    w.ok("op1", "POST", f"/api/analyses/{job}/start")
    return "/api/resolve", {"bet_id": market["id"]}


def _upload(w: World) -> tuple[str, Any]:
    return "/api/analyze", None  # the body is multipart: see `_send`


STREAM = {"name": "cam", "source_url": "rtsp://93.184.216.34/cam"}


def _stream_path(suffix: str) -> Setup:
    def setup(w: World) -> tuple[str, Any]:
        made = w.ok("op1", "POST", "/api/streams", STREAM)
        return f"/api/streams/{made['id']}{suffix}", None

    return setup


def _live_body(*, in_play: bool = False) -> dict[str, Any]:
    soon = int(time.time() * 1000) + (0 if in_play else 60_000)
    return {
        "question": "A person?",
        "criteria": {"label": "Person"},
        "from_ms": soon,
        "minutes": 1,
        "in_play": in_play,
    }


def _live_stream(suffix: str, body: Any = None) -> Setup:
    """op1's stream, with `suffix` under it (a body: made fresh per call)."""

    def setup(w: World) -> tuple[str, Any]:
        made = w.ok("op1", "POST", "/api/streams", STREAM)
        return f"/api/streams/{made['id']}{suffix}", body() if callable(body) else body

    return setup


def _live_market(suffix: str, body: Any = None, *, in_play: bool = False) -> Setup:
    def setup(w: World) -> tuple[str, Any]:
        stream = w.ok("op1", "POST", "/api/streams", STREAM)
        made = w.ok(
            "op1", "POST", f"/api/streams/{stream['id']}/markets", _live_body(in_play=in_play)
        )
        market = made["market"]
        filled = body(market) if callable(body) else body
        return f"/api/markets/{market['id']}{suffix}", filled

    return setup


TEMPLATE = {
    "question": "A person soon?",
    "label": "Person",
    "every_minutes": 2,
    "window_minutes": 1,
}


def _template(w: World) -> tuple[str, Any]:
    stream = w.ok("op1", "POST", "/api/streams", STREAM)
    made = w.ok("op1", "POST", f"/api/streams/{stream['id']}/templates", TEMPLATE)
    return f"/api/templates/{made['id']}/stop", None


def _first_outcome(market: dict[str, Any]) -> dict[str, Any]:
    return {"outcome_id": market["outcomes"][0]["id"]}


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/"): Rule(_fixed("/"), everyone(200)),
    ("GET", "/static/<path:filename>"): Rule(_fixed("/static/js/app.js"), everyone(200)),
    ("GET", "/api/health"): Rule(_fixed("/api/health"), everyone(200)),
    ("GET", "/api/health/live"): Rule(_fixed("/api/health/live"), everyone(200)),
    ("GET", "/api/openapi.json"): Rule(_fixed("/api/openapi.json"), everyone(200)),
    ("GET", "/metrics"): Rule(
        _fixed("/metrics"), everyone(404), "production with no scraper configured"
    ),
    ("GET", "/api/ws"): Rule(
        _fixed("/api/ws"), {}, "a WebSocket upgrade: tests/e2e/test_ws*.py cover who hears what"
    ),
    ("POST", "/api/auth/signup"): Rule(_signup, everyone(202)),
    ("POST", "/api/auth/login"): Rule(
        _fixed("/api/auth/login", {"email": "login@example.test", "password": PASSWORD}),
        everyone(200),
    ),
    ("POST", "/api/auth/logout"): Rule(_fixed("/api/auth/logout"), logged_in(204)),
    ("GET", "/api/me"): Rule(_fixed("/api/me"), logged_in(200)),
    ("GET", "/api/me/wagers"): Rule(_fixed("/api/me/wagers"), logged_in(200)),
    ("POST", "/api/me/deposits"): Rule(_fixed("/api/me/deposits", {"amount": 50}), logged_in(201)),
    ("POST", "/api/me/withdrawals"): Rule(
        _fixed("/api/me/withdrawals", {"amount": 1}), logged_in(201)
    ),
    ("GET", "/api/payments/providers"): Rule(_fixed("/api/payments/providers"), logged_in(200)),
    ("GET", "/api/me/deposits"): Rule(_fixed("/api/me/deposits"), logged_in(200)),
    ("GET", "/api/me/deposits/<id:deposit_id>"): Rule(
        _own("/api/me/deposits", {"amount": 50}), mine(200)
    ),
    ("GET", "/api/me/withdrawals"): Rule(_fixed("/api/me/withdrawals"), logged_in(200)),
    ("GET", "/api/me/withdrawals/<id:payout_id>"): Rule(
        _own("/api/me/withdrawals", {"amount": 1}), mine(200)
    ),
    ("GET", "/api/me/limits"): Rule(_fixed("/api/me/limits"), logged_in(200)),
    ("PUT", "/api/me/limits"): Rule(_fixed("/api/me/limits", {"day": 500_000}), logged_in(200)),
    ("POST", "/api/me/self-exclusion"): Rule(
        _fixed("/api/me/self-exclusion", {"days": 1}),
        {"anon": 401, "bet2": 200, "op1": 200, "op2": 200, "admin": 200},
        "bet1 places the other rules' wagers: excluding it would break them",
    ),
    ("POST", "/api/payments/stripe/webhook"): Rule(
        _fixed("/api/payments/stripe/webhook", {"type": "x"}),
        everyone(404),
        "public, like every provider callback; stripe is not enabled here",
    ),
    ("POST", "/api/payments/nowpayments/ipn"): Rule(
        _fixed("/api/payments/nowpayments/ipn", {"payment_id": 1}),
        everyone(404),
        "public, like every provider callback; nowpayments is not enabled here",
    ),
    ("GET", "/api/admin/withdrawals"): Rule(_fixed("/api/admin/withdrawals"), admins(200)),
    ("POST", "/api/admin/withdrawals/<id:payout_id>/approve"): Rule(
        _awaiting_approval("/approve"), admins(200)
    ),
    ("POST", "/api/admin/withdrawals/<id:payout_id>/reject"): Rule(
        _awaiting_approval("/reject"), admins(200)
    ),
    ("GET", "/api/markets"): Rule(
        _fixed("/api/markets"), everyone(200), "public: visitors browse markets before signing up"
    ),
    ("POST", "/api/markets"): Rule(
        _fixed("/api/markets", {"question": "Dog?", "criteria": {"label": "Dog"}}), operators(201)
    ),
    ("POST", "/api/markets/check"): Rule(
        _fixed("/api/markets/check", {"criteria": {"label": "Dog"}}), operators(200)
    ),
    ("GET", "/api/markets/<id:market_id>"): Rule(
        _market_path("market"),
        everyone(200),
        "public; evidence only once decided (tests/e2e/browser/test_ux_first_visit.py)",
    ),
    ("POST", "/api/markets/<id:market_id>/lock"): Rule(
        _market_path("market", "/lock"), managers(200)
    ),
    ("POST", "/api/markets/<id:market_id>/cancel"): Rule(
        _market_path("market", "/cancel", {"reason": "test"}), managers(200)
    ),
    ("POST", "/api/markets/<id:market_id>/settle"): Rule(
        _market_path("locked", "/settle"),
        managers(409),
        "past the check, there is no evidence to settle from: 409",
    ),
    ("POST", "/api/markets/<id:market_id>/resolve"): Rule(
        _market_path("locked", "/resolve", _first_outcome), admins(200)
    ),
    ("POST", "/api/markets/<id:market_id>/wagers"): Rule(
        _market_path("market", "/wagers", lambda m: {**_first_outcome(m), "stake": 5}),
        {"anon": 401, "bet1": 201, "bet2": 201, "op1": 403, "op2": 403, "admin": 403},
        "whoever makes or settles markets holds no position in them",
    ),
    ("GET", "/api/markets/<id:market_id>/wagers"): Rule(
        _market_path("market", "/wagers"), logged_in(200)
    ),
    ("POST", "/api/markets/<id:market_id>/disputes"): Rule(
        _market_path("resolved", "/disputes", {"reason": "I saw no cat"}),
        {"anon": 401, "bet1": 201, "bet2": 403, "op1": 403, "op2": 403, "admin": 403},
        "bettors with a stake only",
    ),
    ("GET", "/api/markets/<id:market_id>/disputes"): Rule(
        _market_path("resolved", "/disputes"), logged_in(200)
    ),
    ("GET", "/api/admin/reviews"): Rule(_fixed("/api/admin/reviews"), admins(200)),
    ("GET", "/api/admin/ledger"): Rule(_fixed("/api/admin/ledger"), admins(200)),
    ("POST", "/api/admin/payouts/run"): Rule(_fixed("/api/admin/payouts/run"), admins(200)),
    ("POST", "/api/admin/disputes/<id:dispute_id>"): Rule(
        lambda w: (f"/api/admin/disputes/{w.dispute()}", {"decision": "uphold"}), admins(200)
    ),
    ("GET", "/api/bets"): Rule(_fixed("/api/bets"), logged_in(200)),
    ("POST", "/api/resolve"): Rule(_resolvable, managers(200)),
    ("POST", "/api/analyze"): Rule(_upload, operators(202)),
    ("GET", "/api/analyses"): Rule(_fixed("/api/analyses"), logged_in(200)),
    ("GET", "/api/analyses/<analysis:analysis_id>"): Rule(
        _analysis_path("?format=timeline"),
        owner_sees(200),
        "a market on it is open: its evidence is sealed",
    ),
    ("DELETE", "/api/analyses/<analysis:analysis_id>"): Rule(
        _analysis_path("", sealed=False, start=False), owner_sees(202)
    ),
    ("POST", "/api/analyses/<analysis:analysis_id>/start"): Rule(
        _analysis_path("/start", sealed=False, start=False), owner_sees(202, "operator")
    ),
    ("GET", "/api/analyses/<analysis:analysis_id>/frames"): Rule(
        _analysis_path("/frames"), owner_sees(200)
    ),
    ("GET", "/api/analyses/<analysis:analysis_id>/frames/<ms:ms>"): Rule(
        _analysis_path("/frames/500"), owner_sees(200)
    ),
    ("POST", "/api/streams"): Rule(_fixed("/api/streams", STREAM), operators(201)),
    ("GET", "/api/streams"): Rule(_fixed("/api/streams"), operators(200)),
    ("GET", "/api/streams/<id:stream_id>"): Rule(_stream_path(""), owner_sees(200, "operator")),
    ("POST", "/api/streams/<id:stream_id>/start"): Rule(
        _stream_path("/start"), owner_sees(200, "operator")
    ),
    ("POST", "/api/streams/<id:stream_id>/stop"): Rule(
        _stream_path("/stop"), owner_sees(200, "operator")
    ),
    ("DELETE", "/api/streams/<id:stream_id>"): Rule(_stream_path(""), owner_sees(204, "operator")),
    ("GET", "/api/streams/<id:stream_id>/frame"): Rule(
        _stream_path("/frame"),
        owner_sees(404, "operator"),
        "no picture before a live job runs; tests/e2e/test_live_*.py fetch real ones",
    ),
    ("GET", "/api/streams/<id:stream_id>/events/<id:event_id>/frame"): Rule(
        _stream_path("/events/1/frame"),
        owner_sees(404, "operator"),
        "no event before a live job runs; tests/e2e/test_live_*.py fetch real ones",
    ),
    ("GET", "/api/analyses/<analysis:analysis_id>/video"): Rule(
        _analysis_path("/video"), owner_sees(200)
    ),
    ("POST", "/api/streams/<id:stream_id>/markets"): Rule(
        _live_stream("/markets", _live_body), owner_sees(201, "operator")
    ),
    ("GET", "/api/streams/<id:stream_id>/markets"): Rule(
        _live_stream("/markets"), logged_in(200), "bettors see what they may bet on"
    ),
    ("GET", "/api/markets/<id:market_id>/live"): Rule(_live_market("/live"), logged_in(200)),
    ("GET", "/api/live-markets"): Rule(_fixed("/api/live-markets"), logged_in(200)),
    ("GET", "/api/markets/<id:market_id>/live/frames/<ms:ms>"): Rule(
        _live_market("/live/frames/1000"),
        logged_in(404),
        "sealed while open; tests/integration/test_live_markets_api.py fetches a real one",
    ),
    ("POST", "/api/markets/<id:market_id>/held-wagers"): Rule(
        _live_market("/held-wagers", lambda m: {**_first_outcome(m), "stake": 5}, in_play=True),
        {"anon": 401, "bet1": 202, "bet2": 202, "op1": 403, "op2": 403, "admin": 403},
        "whoever makes or settles markets holds no position in them",
    ),
    ("GET", "/api/markets/<id:market_id>/held-wagers"): Rule(
        _live_market("/held-wagers", in_play=True), logged_in(200)
    ),
    ("POST", "/api/streams/<id:stream_id>/templates"): Rule(
        _live_stream("/templates", TEMPLATE), owner_sees(201, "operator")
    ),
    ("GET", "/api/streams/<id:stream_id>/templates"): Rule(
        _live_stream("/templates"), owner_sees(200, "operator")
    ),
    ("POST", "/api/templates/<id:template_id>/stop"): Rule(_template, owner_sees(200, "operator")),
    ("PUT", "/api/streams/<id:stream_id>/twitch"): Rule(
        _live_stream("/twitch", {"broadcaster_id": "141981764", "access_token": "t0ken"}),
        owner_sees(200, "operator"),
    ),
}


def _database(backend: str, tmp: Path) -> AbstractContextManager[str]:
    if backend == "sqlite":
        return databases.sqlite_database(tmp)
    if not databases.pg_admin_url():
        pytest.skip(f"PostgreSQL variant: set {databases.PG_ENV} to run it")
    return databases.postgres_database()


# PostgreSQL too: there a wager's token is checked by the wager's own call (api/auth.py)
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_clip: bytes
) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    with _database(request.param, tmp) as url:
        app = create_app(
            {
                **production_config(tmp / "var", url),
                "keep_uploads": True,
                "dispute_window_seconds": 600,
                # many logins from one test client: the throttle has its own tests
                "login_address_attempts": 10_000,
                "withdrawal_approval_threshold": APPROVAL_THRESHOLD,
            }
        )
        try:
            actors = {
                "bet1": make_actor(app, "bettor"),
                "bet2": make_actor(app, "bettor"),
                "op1": make_actor(app, "operator"),
                "op2": make_actor(app, "operator"),
                "admin": make_actor(app, "admin"),
            }
            make_actor(app, "bettor", email="login@example.test")
            for actor in actors.values():
                fund(app, actor.user_id, 100_000)
            yield World(app, actors, tiny_clip)
        finally:
            app.extensions["streambet"].close()


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_declared_rule(world: World) -> None:
    routes = _routes(world.app)
    assert routes - RULES.keys() == set(), "routes with no declared rule: add them to RULES"
    assert RULES.keys() - routes == set(), "rules for routes that no longer exist"


def _send(w: World, who: str, method: str, route: str, path: str, body: Any) -> Any:
    if route == "/api/analyze":
        return w.client().post(
            path,
            data={"file": (io.BytesIO(w.clip), "clip.mp4")},
            content_type="multipart/form-data",
            headers=w.headers(who),
        )
    return w.call(who, method, path, body)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("method, route", sorted(RULES), ids=[f"{m} {r}" for m, r in sorted(RULES)])
def test_who_may_call_what(world: World, method: str, route: str, who: str) -> None:
    rule = RULES[(method, route)]
    if who not in rule.expect:
        pytest.skip(rule.why)
    path, body = rule.setup(world)
    response = _send(world, who, method, route, path, body)
    expected = rule.expect[who]
    assert response.status_code == expected, (who, method, path, response.get_data()[:300])
    if response.status_code >= 400 and response.mimetype == "application/json":
        assert set(response.get_json()["error"]) == {"code", "message", "details"}
    response.close()
