"""Sign-up, login errors in words, logout, keyboard focus and phone width, in Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser.conftest import assert_labelled, expect_status


def test_signup_login_logout_and_errors_in_words(pages: Any, screenshot: Any) -> None:
    page = pages.open("/#/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    screenshot(page, "01-signup")
    assert_labelled(page)
    page.get_by_label("E-mail").fill("ana@example.test")
    page.get_by_label("Display name (optional)").fill("Ana")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Enter your date of birth.")
    page.get_by_label("Date of birth").fill("2015-06-01")
    expect_status(page, 400)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("18 or older")
    page.get_by_label("Date of birth").fill("1990-06-01")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#who")).to_have_text("Ana")
    expect(page.get_by_role("link", name="Markets", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to StreamBet")).to_be_visible()

    # A wrong password answers 401 in the envelope; the page shows its sentence.
    expect_status(page, 401)
    page.get_by_label("E-mail").fill("ana@example.test")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("undefined")
    assert "password" in alert.inner_text().lower()
    screenshot(page, "02-login-error")

    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Password").press("Enter")
    expect(page.locator("#who")).to_have_text("Ana")


def test_keyboard_focus_is_visible_and_phone_width_fits(pages: Any, screenshot: Any) -> None:
    page = pages.open("/#/login", viewport={"width": 375, "height": 740})
    expect(page.get_by_label("E-mail")).to_be_focused()  # the form takes focus
    # Backwards through the header, the skip link is the first stop on the page.
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('skip-link')"):
            break
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert page.url.endswith("#/login")
    page.get_by_label("E-mail").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    # Nothing overflows sideways at phone width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "03-login-phone")
