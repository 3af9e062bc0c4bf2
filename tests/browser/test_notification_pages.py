"""The "Email notifications" page under Your account: reached from the account page, passes
axe-core at a laptop's and a phone's width without sideways scroll, and keeps a choice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import CHROMIUM, axe_violations, click, sign_in
from webapp.notifications.models import Preference

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page: Any) -> bool:
    scroll, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    return scroll <= inner


@pytest.mark.parametrize("width", [1366, 390])
def test_an_officer_chooses_never_for_one_kind_of_email(page, hrt, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "hrt.officer")
    page.goto("/account/")
    click(page, page.get_by_role("link", name="Choose which emails you get"))
    assert page.get_by_role("heading", level=1).inner_text() == "Email notifications"
    assert axe_violations(page) == [] and _fits(page)

    group = page.get_by_role("group", name="An extension you asked for is decided")
    group.get_by_label("Never").check()
    click(page, page.get_by_role("button", name="Save choices"))

    assert "Your email choices are saved." in page.content()
    assert page.get_by_role("group", name="An extension you asked for is decided") \
        .get_by_label("Never").is_checked()
    assert axe_violations(page) == [] and _fits(page)
    assert Preference.objects.get(user__username="hrt.officer",
                                  kind="extension_decided").delivery == "never"
