"""Real-browser tests: the real app served on 127.0.0.1 in a background thread, driven by
Playwright through Debian's Chromium (never a downloaded browser).

Every page opened through `open_page` fails its test on an uncaught page error or a console
error; HTTP 4xx answers a test provokes on purpose are declared with `expect_status`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from streambet import create_app
from tests.support import databases

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Chromium reports every non-2xx fetch as a console error with this text.
HTTP_STATUS_ERROR = re.compile(r"Failed to load resource: .* status of (\d+)")


def chromium_path() -> str | None:
    path = os.environ.get("STREAMBET_CHROMIUM") or "/usr/bin/chromium"
    return path if Path(path).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: apt-get install chromium, or set STREAMBET_CHROMIUM")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class LiveServer:
    url: str
    app: Any

    @property
    def wiring(self) -> Any:
        return self.app.extensions["streambet"]


def serve(app: Any) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def server_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "env": "test",
        "data_dir": str(tmp_path / "var"),
        "queue_backend": "memory",
        "embedded_worker": False,
        "analysis_backend": "fake",
    }


@pytest.fixture
def live_server(server_config: dict[str, Any], tmp_path: Path) -> Iterator[LiveServer]:
    with databases.sqlite_database(tmp_path) as url:
        app = create_app({**server_config, "database_url": url})
        try:
            yield from serve(app)
        finally:
            app.extensions["streambet"].close()


@dataclass
class PageGuard:
    """Collects what must not happen in a page: uncaught errors and console errors."""

    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    allowed_console: list[str] = field(default_factory=list)

    def console(self, message: Any) -> None:
        if message.type != "error":
            return
        status = HTTP_STATUS_ERROR.search(message.text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return
        if any(text in message.text for text in self.allowed_console):
            return
        self.problems.append(f"console error: {message.text}")

    def page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught page error: {error}")

    def response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"server error {response.status} for {response.url}")


@dataclass
class Pages:
    browser: Any
    base_url: str
    guards: list[PageGuard] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def open(
        self,
        path: str = "/",
        *,
        token: str | None = None,
        viewport: dict[str, int] | None = None,
    ) -> Any:
        """A page in its own browser context (its own storage: one person per context),
        logged in with `token` when given (the login form itself is tested elsewhere)."""
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport or {"width": 1280, "height": 860}
        )
        context.set_default_timeout(15_000)
        if token:
            # Once per tab, before the app's own scripts: a later logout stays logged out.
            context.add_init_script(
                "if (!sessionStorage.getItem('seeded')) {"
                f" localStorage.setItem('streambet.token', {json.dumps(token)});"
                " sessionStorage.setItem('seeded', '1'); }"
            )
        self.contexts.append(context)
        page = context.new_page()
        guard = PageGuard()
        page.on("console", guard.console)
        page.on("pageerror", guard.page_error)
        page.on("response", guard.response)
        page.guard = guard  # type: ignore[attr-defined]
        self.guards.append(guard)
        page.goto(path)
        if token:
            page.locator("#who").wait_for()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Any, request: pytest.FixtureRequest) -> Iterator[Pages]:
    """Pages on the test's server: `engine_server` when the test uses it, else `live_server`."""
    name = "engine_server" if "engine_server" in request.fixturenames else "live_server"
    server: LiveServer = request.getfixturevalue(name)
    pages = Pages(browser, server.url)
    try:
        yield pages
    finally:
        pages.close()
    problems = [p for g in pages.guards for p in g.problems]
    assert not problems, "\n".join(problems)


def expect_status(page: Any, *statuses: int) -> None:
    """Declares HTTP error answers this test provokes on purpose (shown to the user)."""
    page.guard.allowed_statuses.update(statuses)


def expect_console_error(page: Any, text: str) -> None:
    """Declares a console error this test provokes on purpose (e.g. a refused socket)."""
    page.guard.allowed_console.append(text)


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def call(server: LiveServer, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    """The API as another client would use it (set-up steps that are not under test)."""
    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, server.url + path, headers=headers, timeout=30, **kw)
    assert response.status_code < 400, (response.status_code, response.text)
    return response.json() if response.content else None


def upload(
    server: LiveServer, token: str, clip: Path, query: str = "wait=true", **kw: Any
) -> dict[str, Any]:
    """`clip` uploaded for analysis as an operator (`wait=true`: analysed; `hold=true`:
    kept until a market on it locks)."""
    with clip.open("rb") as fh:
        return dict(
            call(
                server,
                "POST",
                f"/api/analyze?{query}",
                token,
                files={"file": (clip.name, fh, "video/mp4")},
                **kw,
            )
        )


def label_market(
    server: LiveServer, token: str, analysis_id: str, question: str, label: str
) -> dict[str, Any]:
    """A yes/no market on `label` at the auto-settle bar, on an uploaded analysis."""
    return dict(
        call(
            server,
            "POST",
            "/api/markets",
            token,
            json={
                "question": question,
                "analysis_id": analysis_id,
                "criteria": {"label": label, "min_confidence": 80},
            },
        )
    )


def signup(server: LiveServer, name: str) -> dict[str, Any]:
    """A bettor with the sign-up credit: {"token", "user"}."""
    body = {"email": f"{name.lower()}@example.test", "password": "correct horse battery"}
    call(
        server,
        "POST",
        "/api/auth/signup",
        json={**body, "display_name": name, "birth_date": "1990-04-01"},
    )
    return dict(call(server, "POST", "/api/auth/login", json=body))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for every engine-backed browser test (prepared on first use)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def photo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real footage from photos: coffee 0-2 s, the cat 2-5 s, the astronaut 5-7 s."""
    from tests.support.clips import make_clip

    path = tmp_path_factory.mktemp("clips") / "coffee-cat-astronaut.mp4"
    return make_clip(path, [("coffee", 2), ("chelsea", 3), ("astronaut", 2)], fps=10)


@pytest.fixture
def engine_overrides() -> dict[str, Any]:
    """Settings a test module changes for `engine_server` (override this fixture)."""
    return {}


@pytest.fixture
def engine_server(
    tmp_path: Path, model_dir: Path, engine_overrides: dict[str, Any]
) -> Iterator[LiveServer]:
    """The app as `streambet serve` runs it: the real engine, jobs on the SQLite queue with
    the embedded consumer's threads, events in process. Payouts are due as soon as a market
    resolves (no dispute window), so a test need not wait for one."""
    from streambet.worker import Worker

    config = {
        "env": "test",
        "data_dir": str(tmp_path / "var"),
        "model_dir": str(model_dir),
        "queue_backend": "sqlite",
        "embedded_worker": False,
        "analysis_backend": "local",
        "dispute_window_seconds": 0,
        # Tests drive settlement and payouts with the page's buttons unless they ask for
        # the consumer's automatic betting sweep (the product's default) themselves.
        "betting_sweep_seconds": 0,
        **engine_overrides,
    }
    with databases.sqlite_database(tmp_path) as url:
        app = create_app({**config, "database_url": url})
        wiring = app.extensions["streambet"]
        consumer = Worker(wiring, workers=1)
        consumer.start()
        try:
            yield from serve(app)
        finally:
            consumer.stop()
            wiring.close()


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
  .filter((el) => {
    const named = (el.labels && [...el.labels].some((l) => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || el.getAttribute('aria-labelledby')
      || (el.tagName === 'BUTTON' && el.textContent.trim());
    return !named;
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def assert_labelled(page: Any) -> None:
    """Every control on the page has an accessible name a screen reader can announce."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, unlabelled
