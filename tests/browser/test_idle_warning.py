"""The idle sign-out in a real browser, with the limits shortened through settings: the warning
dialog takes focus and is announced, "Stay signed in" keeps the session past the first limit,
and a session left idle ends on the sign-in page, which returns to the page afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import assert_accessible, click, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
IDLE = 10  # seconds, instead of 30 minutes
WARN = 4


def test_the_timeout_warning_keeps_the_session_and_sign_in_returns_to_the_page(
        page: Any, hrt: Any, settings: Any) -> None:
    settings.SESSION_IDLE_SECONDS = IDLE
    settings.SESSION_WARNING_SECONDS = WARN
    sign_in(page, "hrt.officer")
    page.goto("/cases/")

    # the warning opens before the limit, with the focus on "Stay signed in"
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    dialog.wait_for(state="visible", timeout=IDLE * 1000)
    assert "you will be signed out in" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Stay signed in"
    assert "You will be signed out in" in page.locator("#session-timeout-announce").inner_text()
    assert_accessible(page)

    # "Stay signed in" closes it and starts the idle clock again on the server
    dialog.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    # it comes back only after the first limit has passed, and the session is still there
    dialog.wait_for(state="visible", timeout=IDLE * 1000)
    page.reload()
    assert page.locator(".header__user").inner_text() == "hrt.officer"

    # left alone, the session ends: the sign-in page says why, then returns to the page
    page.wait_for_url("**/login/?next=/cases/", timeout=IDLE * 2000)
    assert "signed out after" in page.locator("main").inner_text()
    page.get_by_label("Username").fill("hrt.officer")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    click(page, page.get_by_role("button", name="Sign in"))
    device = factories.authenticator(get_user_model().objects.get(username="hrt.officer"))
    page.get_by_label("Code").fill(factories.totp_code(device))
    click(page, page.get_by_role("button", name="Continue"))
    assert page.url.endswith("/cases/"), page.url


def test_a_new_enquiry_is_kept_as_a_draft_as_it_is_typed(page: Any, hrt: Any) -> None:
    sign_in(page, "hrt.contact")
    page.goto("/enquiries/new/")
    page.locator('[name="applicant.first_name"]').fill("Quillon")
    status = page.locator("#draft-status")
    status.get_by_text("Draft saved at").wait_for(timeout=10_000)
    page.goto("/")
    page.goto("/enquiries/new/")
    assert "has been restored" in page.locator("#draft-restored").inner_text()
    assert page.locator('[name="applicant.first_name"]').input_value() == "Quillon"
