"""The dashboard's charts in a real browser: count axes step in whole numbers, and a click on a
bar opens the case list of exactly the cases it counts."""

from __future__ import annotations

import pytest

from tests.browser.pages import CHROMIUM, sample, sign_in
from webapp.cases import services

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TICKS = "c => Chart.getChart(c).scales.y.ticks.map(t => t.value)"
BAR = "c => { const bar = Chart.getChart(c).getDatasetMeta(0).data[0]; " \
      "const r = c.getBoundingClientRect(); " \
      "return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2}; }"


def test_count_axes_are_whole_numbers_and_a_bar_opens_its_cases(page, hrt):
    # given: three enquiries in their first stage
    from django.contrib.auth import get_user_model

    contact = get_user_model().objects.get(username="hrt.contact")
    references = {services.case_start(user=contact, data=sample("enquiry")).reference
                  for _ in range(3)}

    # when
    sign_in(page, "hrt.decision")
    page.goto("/dashboard/")
    canvas = page.locator("#chart-stages")
    page.wait_for_selector('#chart-stages[data-rendered="true"]')

    # then: the axis reads 0, 1, 2, 3 (never 0.5)
    ticks = canvas.evaluate(TICKS)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks

    # and a click on the bar opens the list of those three cases
    canvas.scroll_into_view_if_needed()
    point = canvas.evaluate(BAR)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert "/cases/?" in page.url and "stage=" in page.url
    shown = {page.locator("tbody tr td a").nth(i).inner_text()
             for i in range(page.locator("tbody tr td a").count())}
    assert shown == references
