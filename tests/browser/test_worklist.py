"""The team queue on a phone: filter to cases at immediate risk, sort by due, tick tasks and
claim them together; every page state passes axe-core and does not scroll sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import CHROMIUM, PHONE, click, layout_problems, sign_in
from webapp.cases import services
from webapp.cases.models import HumanTask, TaskState

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_sort_and_claim_selected_on_a_phone(page: Any, hrt: Any) -> None:
    contact = get_user_model().objects.get(username="hrt.contact")
    cases = [services.case_start(user=contact, data=factories.sample("enquiry"))
             for _ in range(3)]
    risky = HumanTask.objects.get(case=cases[2], state=TaskState.READY)
    HumanTask.objects.filter(pk=risky.pk).update(at_risk=True)
    cases[2].risks = ["immediate_risk"]
    cases[2].save(update_fields=["risks"])
    page.set_viewport_size({"width": PHONE, "height": 900})
    sign_in(page, "hrt.officer")
    page.goto("/queue/")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert cases[2].reference in rows.first.inner_text()  # at risk: first
    problems = layout_problems(page, "team queue with filters", PHONE)

    page.get_by_label("Risk").select_option(label="Cases at immediate risk only")
    click(page, page.get_by_role("button", name="Apply filters"))
    assert "risk=yes" in page.url and rows.count() == 1
    assert page.get_by_text("Showing: Cases at immediate risk only").count() == 1

    click(page, page.get_by_role("link", name="Clear filters"))
    page.get_by_label("Sort by").select_option(label="Latest due first")
    click(page, page.get_by_role("button", name="Apply filters"))
    assert "sort=-due" in page.url
    assert page.locator('th[aria-sort="descending"]').count() == 1
    assert rows.count() == 3 and page.locator(".flag--risk").count() == 1  # the flag stays

    for case in cases[:2]:
        page.get_by_label(f"Select Initial checks (24 hours) on {case.reference}").check()
    click(page, page.get_by_role("button", name="Claim selected"))
    assert "sort=-due" in page.url  # back on the same sorted list
    assert page.get_by_text("2 claimed.").count() == 1
    assert rows.count() == 1 and cases[2].reference in rows.first.inner_text()
    problems += layout_problems(page, "team queue after claiming selected", PHONE)
    assert HumanTask.objects.filter(assignee__username="hrt.officer").count() == 2
    assert not problems, "\n".join(problems)
