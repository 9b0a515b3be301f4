"""The single-page app runs under its Content-Security-Policy (api/hardening.py) without a
single violation, while the policy is really enforced: an inline script is refused."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import expect_console_error
from tests.support.api import make_actor

WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_no_page_violates_the_policy_and_the_policy_bites(pages: Any, live_server: Any) -> None:
    operator = make_actor(live_server.app, "operator")
    page = pages.open("/", token=operator.token)
    page.context.add_init_script(WATCH)
    page.reload()  # the watcher is in place before the app's own scripts run
    for view in ("#/markets", "#/upload", "#/analyses", "#/wagers", "#/live", "#/signup"):
        page.goto("/" + view)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], view
    expect(page.locator("main")).not_to_be_empty()
    expect_console_error(page, "Content Security Policy")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
