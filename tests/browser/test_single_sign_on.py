"""Single sign-on in Chromium: the sign-in page's "Sign in with your force account" button, the
real test identity provider's form, and the page a person lands on (their start page, or the
no-role page), each free of WCAG 2.x A/AA violations and of sideways scroll on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import CHROMIUM, assert_accessible
from tests.oidc.fixtures import PASSWORD, provider_issuer, sso_force  # noqa: F401 (fixtures)
from webapp.forces.models import Force

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser]
PHONE = 390


def _no_sideways_scroll(page: Any) -> None:
    page.set_viewport_size({"width": PHONE, "height": 800})
    scroll, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url} scrolls sideways at {PHONE} px"


def _sign_in_at_provider(page: Any, login: str) -> None:
    page.goto("/login/")
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Sign in with your force account").click()
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_case_officer_signs_in_with_their_force_account(
        _orm_beside_playwright: None, sso: Force, page: Any, live_server: Any) -> None:
    _sign_in_at_provider(page, "ann")
    page.wait_for_url(f"{live_server.url}/my-tasks/")
    header = page.locator(".header__identity")
    assert "Hertfordshire" in header.inner_text()
    assert "Ann Archer" in header.inner_text() and "Case officer" in header.inner_text()
    assert_accessible(page)


def test_a_person_without_a_role_sees_the_no_role_page(
        _orm_beside_playwright: None, sso: Force, page: Any, live_server: Any) -> None:
    _sign_in_at_provider(page, "bob")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Your account has no role in this service"
    assert page.get_by_text("Ask your force administrator").is_visible()
    assert_accessible(page)
    _no_sideways_scroll(page)
