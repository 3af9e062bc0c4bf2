"""A policy lead writes a scenario in a real browser by walking through a draft with the officers'
forms; the scenario pages pass axe-core at 1366 and 390 px and do not scroll sideways on a
phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    PHONE,
    click,
    fill_form,
    layout_problems,
    sign_in,
    task_form,
)
from webapp.processes import services
from webapp.processes.models import ProcessDraft, ProcessVersion

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def draft(hrt: Any) -> ProcessDraft:
    lead = factories.officer("hrt.policy", hrt, "policy_lead")
    version = ProcessVersion.objects.get(process_id="csods")
    draft = services.draft_create(user=lead, version_id=version.pk, title="Clearer words")
    return services.draft_save(user=lead, draft_id=draft.pk,
                               files={"scheme.json": draft.files["scheme.json"]})


def _answer(page: Any, form: str, **changes: Any) -> None:
    fill_form(page, {**factories.sample(form), **changes})
    click(page, task_form(page).get_by_role("button", name="Submit and go on"))


@pytest.mark.parametrize("width", [1366, PHONE])
def test_a_policy_lead_walks_through_the_draft_and_saves_a_scenario(page, draft, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "hrt.policy")
    problems: list[str] = []
    page.goto(f"/studio/drafts/{draft.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#scenario-results").get_by_text(
        "Full checks, then the decision maker decides not to disclose").count() == 1
    problems += layout_problems(page, "draft page with scenario results", width)
    page.get_by_role("link", name="Write a scenario by walking through the draft").click()
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "walk: first task", width)
    click(page, task_form(page).get_by_role("button", name="Submit and go on"))
    problems += layout_problems(page, "walk: answers refused", width)
    _answer(page, "enquiry")
    _answer(page, "initial_checks")
    _answer(page, "verification_interview", identity_verified=False)
    assert page.get_by_role("heading", name="The case has ended").count() == 1
    problems += layout_problems(page, "walk: the case has ended", width)
    page.get_by_label("Title of the scenario").fill("Identity check fails")
    click(page, page.get_by_role("button", name="Save the scenario"))
    assert page.get_by_text("Scenario saved: it passes.").count() == 1
    problems += layout_problems(page, "scenario list", width)
    page.get_by_role("link", name="Delete Identity check fails").click()
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "delete a scenario", width)
    assert not problems, "\n".join(problems)
    draft.refresh_from_db()
    assert "scenarios/identity-check-fails.json" in draft.files
