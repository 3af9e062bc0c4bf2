"""The heatmap page in a real browser: the version's diagram renders with each task shaded and
carrying its figures and breaches in words, the stage buttons bring a stage into view, and the
page has no accessibility or layout problem on a laptop or a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.pages import (
    CHROMIUM,
    PHONE,
    click,
    layout_problems,
    sample,
    screenshot,
    sign_in,
)
from webapp.cases import services
from webapp.cases.models import HumanTask
from webapp.clocks.models import CaseClock, ClockState

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cases():
    """Two enquiries whose initial checks took 2 and 30 hours; the second's 24-hour clock
    breached while the checks were open (times set on the rows the services made)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    contact, officer = users.get(username="hrt.contact"), users.get(username="hrt.officer")
    now = timezone.now()
    for hours in (2, 30):
        case = services.case_start(user=contact, data=sample("enquiry"))
        task = case.tasks.get(bpmn_id="ut_initial_checks")
        services.task_complete(user=officer, task_id=task.pk, data=sample("initial_checks"))
        HumanTask.objects.filter(pk=task.pk).update(created_at=now - timedelta(hours=hours))
        if hours > 24:  # noqa: PLR2004 - past the 24-hour limit
            CaseClock.objects.filter(case=case, clock="initial").update(
                state=ClockState.BREACHED, started_at=now - timedelta(hours=hours),
                due_at=now - timedelta(hours=hours - 24), stopped_at=now)


def test_the_diagram_shows_each_task_shaded_with_its_figures_and_breaches(page, hrt):
    _cases()
    sign_in(page, "hrt.decision")
    page.goto("/heatmap/")
    page.wait_for_selector('#diagram[data-rendered="true"]')
    assert page.get_by_role("heading", level=1).inner_text() == "Time and breaches at each step"

    badge = page.locator('#diagram [data-badge="ut_initial_checks"]')
    assert badge.inner_text().split("\n") == ["Median 2 hours, 90% within 30 hours", "1 breach"]
    shaded = page.locator('#diagram .djs-element.heat-band-5[data-element-id="ut_initial_checks"]')
    assert shaded.count() == 1
    assert int(page.locator("#diagram").get_attribute("data-badges")) > 10  # every task

    page.locator("#diagram").scroll_into_view_if_needed()
    screenshot(page, "heatmap.png")

    # the stage buttons bring a stage's pool into view
    page.get_by_role("button", name="3. Full checks and risk assessment").click()
    drawing = page.locator("#diagram .djs-container").bounding_box()
    police = page.locator('#diagram [data-element-id="ut_police_checks"]').bounding_box()
    assert drawing["y"] <= police["y"] <= drawing["y"] + drawing["height"]

    # the table: names people read, figures, and the breach linked to its cases
    row = page.locator('tr[data-element="ut_initial_checks"]')
    cells = [cell.strip() for cell in row.inner_text().split("\t")[:4]]
    assert cells == ["Initial checks (24 hours)", "2", "2 hours", "30 hours"]
    click(page, row.get_by_role("link", name="1"))
    assert "while the case was at ‘Initial checks (24 hours)’" in page.inner_text("main")
    assert page.locator("tbody tr").count() == 1


def test_the_page_has_no_layout_problem_on_a_laptop_or_a_phone(page, hrt):
    _cases()
    sign_in(page, "hrt.decision")
    problems = []
    for width in (1366, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/heatmap/")
        page.wait_for_selector('#diagram[data-rendered="true"]')
        problems += layout_problems(page, "heatmap", width)
    assert not problems, "\n".join(problems)
