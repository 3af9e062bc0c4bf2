"""The returns page in a real browser: no axe-core violation and no sideways scrolling at a
laptop's and a phone's width (with its charts, and shown again with a date error), and a click
on a bar opens the case list of exactly the cases it counts."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import CHROMIUM, layout_problems, sample, sign_in
from webapp.cases import services

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DVDS = factories.ROOT / "processes" / "dvds"
BAR = "c => { const bar = Chart.getChart(c).getDatasetMeta(0).data[0]; " \
      "const r = c.getBoundingClientRect(); " \
      "return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2}; }"
THIS_YEAR = "from-day=1&from-month=1&from-year=2000&to-day=31&to-month=12&to-year=2099"


@pytest.fixture
def cases(hrt):
    contact = get_user_model().objects.get(username="hrt.contact")
    factories.deploy(hrt, factories.version("dvds", DVDS))
    made = {services.case_start(user=contact, data=sample("enquiry"), scheme="csods").reference
            for _ in range(2)}
    services.case_start(user=contact, scheme="dvds", data=json.loads(
        (DVDS / "forms" / "samples" / "application.json").read_text()))
    return made


@pytest.mark.parametrize("width", [1366, 390])
def test_the_returns_page_passes_axe_and_fits_the_width(page, cases, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "hrt.decision")
    page.goto(f"/returns/?{THIS_YEAR}")
    page.wait_for_selector('#chart-returns-csods[data-rendered="true"]')
    problems = layout_problems(page, "returns", width)
    page.goto("/returns/?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3"
              "&to-year=2026")
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "returns with a date error", width)
    assert not problems, "\n".join(problems)


def test_a_bar_of_the_returns_opens_its_cases(page, cases):
    sign_in(page, "hrt.decision")
    page.goto(f"/returns/?{THIS_YEAR}&scheme=csods")
    canvas = page.locator("#chart-returns-csods")
    page.wait_for_selector('#chart-returns-csods[data-rendered="true"]')
    canvas.scroll_into_view_if_needed()
    point = canvas.evaluate(BAR)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert "/cases/?" in page.url and "counts=applications" in page.url
    links = page.locator("tbody tr td a")
    assert {links.nth(i).inner_text() for i in range(links.count())} == cases
