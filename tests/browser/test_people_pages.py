"""Finding people in a browser: a search with a case outside the user's work ("a case exists")
and a case page with its linked cases pass axe-core and fit a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import CHROMIUM, layout_problems, sign_in
from tests.browser.test_layout import WIDTHS
from webapp.cases import services

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_search_and_linked_cases_pages(page: Any, hrt: Any, width: int) -> None:
    contact = get_user_model().objects.get(username="hrt.contact")
    other = factories.officer("hrt.contact2", hrt, "contact_handler")
    first = services.case_start(user=contact, data=factories.sample("enquiry"))
    second = services.case_start(user=other, data=factories.sample("enquiry"))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "hrt.contact2")
    page.goto("/cases/?q=Colins")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("A case exists that is outside your work").count() == 1
    problems = layout_problems(page, "search with a case outside one's work", width)
    page.goto(f"/cases/{second.reference}/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="The same people in other cases").count() == 1
    assert page.get_by_role("link", name=first.reference).count() == 1
    problems += layout_problems(page, "case page with linked cases", width)
    assert not problems, "\n".join(problems)
