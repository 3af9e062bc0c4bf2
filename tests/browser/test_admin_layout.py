"""The administration pages in the govuk-frontend layout at a laptop's width (1366 px) and a
phone's (390 px): axe-core finds no WCAG 2.x A/AA violation and nothing scrolls sideways, with
forms shown both fresh and again with their errors; a force administrator works them by
keyboard-free clicks like anyone else."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    click,
    layout_problems,
    sign_in,
    sign_out,
    wait_until_drawn,
)
from webapp.forces.models import Team

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1366, 390]


@pytest.fixture
def visits(hrt: Any) -> dict[str, list[tuple[str, str]]]:
    admin = factories.officer("hrt.admin", hrt, "force_admin")
    get_user_model().objects.create_user("national", password=factories.PASSWORD,
                                         is_staff=True)
    officer = get_user_model().objects.get(username="hrt.officer")
    team = Team.objects.get(force=hrt)
    people = "/administration/people"
    return {
        "hrt.admin": [("administration", "/administration/"),
                      ("force name", "/administration/force/"),
                      ("add a team", "/administration/teams/new/"),
                      ("change a team", f"/administration/teams/{team.pk}/"),
                      ("people", f"{people}/"), ("add a person", f"{people}/new/"),
                      ("roles and team", f"{people}/{officer.pk}/"),
                      ("deactivate", f"{people}/{officer.pk}/deactivate/"),
                      ("temporary password", f"{people}/{officer.pk}/password/"),
                      ("scheme settings", "/administration/schemes/csods/"),
                      ("stop new cases", "/administration/schemes/csods/running/"),
                      ("add time limits", "/administration/schemes/csods/time-limits/new/"),
                      ("own roles", f"{people}/{admin.pk}/")],
        "national": [("forces", "/administration/forces/"),
                     ("create a force", "/administration/forces/new/")],
    }



@pytest.mark.parametrize("width", WIDTHS)
def test_administration_pages_have_no_axe_violations_and_fit_the_width(page, visits, width):
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    for username, pages in visits.items():
        sign_in(page, username)
        for name, path in pages:
            page.goto(path)
            wait_until_drawn(page)
            problems += layout_problems(page, name, width)
        if username == "hrt.admin":
            # forms again with their errors, and the one-time password page
            page.goto("/administration/people/new/")
            click(page, page.get_by_role("button", name="Add the person"))
            problems += layout_problems(page, "add a person with errors", width)
            page.get_by_label("Username").fill("hrt.new")
            page.get_by_label("First name").fill("Ada")
            page.get_by_label("Last name").fill("Lovelace")
            page.get_by_label("Case officer").check()
            click(page, page.get_by_role("button", name="Add the person"))
            assert "Ada Lovelace is added" in page.inner_text("h1")
            problems += layout_problems(page, "temporary password", width)
            page.goto("/administration/schemes/csods/time-limits/new/")
            page.get_by_label("Name").fill("Local")
            page.get_by_label("Overall response: how long").fill("many")
            click(page, page.get_by_role("button", name="Add the limits"))
            problems += layout_problems(page, "time limits with errors", width)
        sign_out(page)
    assert not problems, "\n".join(problems)
