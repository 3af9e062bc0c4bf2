"""The what-if page in a real browser: a policy lead runs it, reads the results and the chart,
and the page (with results, and with errors) passes axe-core and fits a phone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import CHROMIUM, PHONE, layout_problems, sign_in
from webapp.cases import services

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DVDS = factories.ROOT / "processes" / "dvds"


@pytest.fixture
def whatif_path(hrt: Any) -> str:
    """Hertfordshire running Clare's Law with three applications received, and its policy lead."""
    factories.officer("hrt.policy", hrt, "policy_lead")
    dvds = factories.version("dvds", DVDS)
    factories.deploy(hrt, dvds)
    contact = get_user_model().objects.get(username="hrt.contact")
    data = json.loads((DVDS / "forms" / "samples" / "application.json").read_text())
    for _ in range(3):
        services.case_start(user=contact, scheme="dvds", data=data)
    return f"/studio/versions/{dvds.pk}/what-if/"


def test_a_policy_lead_runs_a_what_if_and_reads_it_on_a_laptop_and_a_phone(page, whatif_path):
    problems: list[str] = []
    sign_in(page, "hrt.policy")
    for width in (1366, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(whatif_path)
        page.get_by_label("Case officers").fill("2")
        page.get_by_role("button", name="Run the what-if").click()
        page.wait_for_selector("#whatif-chart[data-rendered]")
        assert "3 cases replayed" in page.locator("#results").inner_text()
        assert page.locator("#clocks").get_by_text("Overall response").is_visible()
        problems += layout_problems(page, "what-if results", width)

        page.get_by_label("Case officers").fill("")
        page.get_by_role("button", name="Run the what-if").click()
        summary = page.locator(".govuk-error-summary")
        assert "Enter the number of case officers" in summary.inner_text()
        problems += layout_problems(page, "what-if with an error", width)
    assert not problems, "\n".join(problems)
