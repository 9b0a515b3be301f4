"""Deposit and withdraw pages with live status, the admin's approval queue, and deposit
limits and self-exclusion on the account page, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from streambet.services import withdrawals
from tests.e2e.browser.conftest import assert_labelled, expect_status, signup
from tests.support.api import make_actor
from tests.support.betting import verify_ledger


@pytest.fixture
def server_config(server_config: dict[str, Any]) -> dict[str, Any]:
    return {**server_config, "withdrawal_approval_threshold": 5_000}


def _row(page: Any, kind: str, index: int = 0) -> Any:
    return page.locator(f"#{kind}-table tbody tr").nth(index)


def test_deposit_withdraw_and_approval_update_live(
    pages: Any, live_server: Any, screenshot: Any
) -> None:
    w = live_server.wiring
    ana = signup(live_server, "Ana")
    admin = make_actor(live_server.app, "admin")
    page = pages.open("/#/wallet", token=ana["token"])
    expect(page.locator("#conn")).to_have_text("● Live")
    assert_labelled(page)
    page.get_by_label("Amount (eur)").fill("25")
    page.get_by_role("button", name="Deposit").click()
    expect(_row(page, "deposit")).to_have_attribute("data-status", "credited")
    expect(page.locator("#balance")).to_have_text("125.00 cr")

    page.locator("#withdraw-amount").fill("10")
    page.get_by_role("button", name="Withdraw").click()
    expect(_row(page, "withdrawal")).to_have_attribute("data-status", "queued")
    expect(page.locator("#balance")).to_have_text("115.00 cr")
    # The worker's sweep pays it; the page hears it over the socket, without a reload.
    assert withdrawals.send_due(w.uow, w.read_uow, w.payments.payouts) == 1
    expect(_row(page, "withdrawal")).to_have_attribute("data-status", "paid")
    expect(_row(page, "withdrawal")).to_contain_text("Paid")

    page.locator("#withdraw-amount").fill("60")
    page.get_by_role("button", name="Withdraw").click()
    expect(_row(page, "withdrawal")).to_have_attribute("data-status", "awaiting_approval")
    screenshot(page, "payments-01-wallet")

    desk = pages.open("/#/admin/withdrawals", token=admin.token)
    item = desk.locator("#withdrawal-queue article")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("60.00 cr")
    screenshot(desk, "payments-02-approval-queue")
    item.get_by_role("button", name="Approve").click()
    expect(desk.locator("#queue-empty")).to_be_visible()
    expect(_row(page, "withdrawal")).to_have_attribute("data-status", "queued")
    assert verify_ledger(live_server.app) == []


def test_limits_and_self_exclusion_on_the_account_page(
    pages: Any, live_server: Any, screenshot: Any
) -> None:
    ben = signup(live_server, "Ben")
    page = pages.open("/#/account", token=ben["token"])
    assert_labelled(page)
    page.get_by_label("Deposit limit per day").fill("30")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator("#limit-day")).to_have_value("30.00")
    page.get_by_label("Deposit limit per day").fill("50")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator("#limit-day-hint")).to_contain_text("changes to 50.00 cr")
    expect(page.locator("#limit-day")).to_have_value("30.00")  # still 30 for a day

    page.goto("/#/wallet")
    expect_status(page, 403)
    page.get_by_label("Amount (eur)").fill("40")
    page.get_by_role("button", name="Deposit").click()
    expect(page.locator(".toast.error")).to_contain_text("day deposit limit")

    page.goto("/#/account")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("For").select_option("7")
    page.get_by_role("button", name="Exclude me").click()
    expect(page.locator("#excluded-until")).to_contain_text("self-excluded until")
    screenshot(page, "payments-03-account")
    page.goto("/#/wallet")
    page.get_by_label("Amount (eur)").fill("5")
    page.get_by_role("button", name="Deposit").click()
    expect(page.locator(".toast.error").last).to_contain_text("self-excluded")
    page.locator("#withdraw-amount").fill("5")
    page.get_by_role("button", name="Withdraw").click()
    expect(_row(page, "withdrawal")).to_have_attribute("data-status", "queued")
    assert verify_ledger(live_server.app) == []
