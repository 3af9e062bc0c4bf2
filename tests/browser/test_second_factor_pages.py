"""Signing in with an authenticator app in a real browser: set it up on the first sign-in from
the page's setup key, give its code on the next, issue and revoke an API token on the account
page; every one of these pages passes axe-core and fits a phone's width."""

from __future__ import annotations

import re
from base64 import b32decode
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    PHONE,
    click,
    enter_password,
    layout_problems,
    sign_out,
)

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.mark.parametrize("width", [1366, PHONE])
def test_set_up_sign_in_with_a_code_and_manage_tokens(page: Any, hrt: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    factories.officer("hrt.new", hrt, "case_officer")
    problems: list[str] = []

    # first sign-in: the password, then the app is set up from the key the page shows
    enter_password(page, "hrt.new")
    assert "/login/set-up-app/" in page.url, page.url
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    problems += layout_problems(page, "set-up page", width)
    secret = b32decode(page.locator("[data-secret]").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill("000000")
    click(page, page.get_by_role("button", name="Continue"))
    assert "The code is not right" in page.locator(".govuk-error-summary").inner_text()
    problems += layout_problems(page, "set-up page with an error", width)
    page.get_by_label("Code from the app").fill(f"{TOTP(secret).token():06d}")
    click(page, page.get_by_role("button", name="Continue"))
    assert "Your authenticator app is set up" in page.locator("main").inner_text()
    assert page.get_by_role("list", name="Recovery codes").get_by_role("listitem").count() == 10
    problems += layout_problems(page, "recovery codes", width)
    click(page, page.get_by_role("link", name="Continue"))
    assert page.locator(".header__user").inner_text() == "hrt.new"

    # the account page: issue a token (shown once), then revoke it
    click(page, page.get_by_role("link", name="Your account"))
    problems += layout_problems(page, "account page", width)
    page.get_by_label("Token name").fill("Records export")
    click(page, page.get_by_role("button", name="Issue token"))
    assert page.get_by_label("Your new API token").input_value().startswith("dw_")
    problems += layout_problems(page, "account page with a new token", width)
    click(page, page.get_by_role("button", name="Revoke Records export"))
    assert "is revoked" in page.locator(".notices").inner_text()

    # the next sign-in asks for the code the app shows
    sign_out(page)
    enter_password(page, "hrt.new")
    assert "/login/code/" in page.url, page.url
    problems += layout_problems(page, "code page", width)
    device = factories.authenticator(get_user_model().objects.get(username="hrt.new"))
    assert device.bin_key == secret
    page.get_by_label("Code").fill(factories.totp_code(device))
    click(page, page.get_by_role("button", name="Continue"))
    assert page.locator(".header__user").inner_text() == "hrt.new"

    assert not problems, "\n".join(problems)
