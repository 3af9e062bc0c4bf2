"""The main pages in the govuk-frontend layout, at a laptop's width (1366 px) and a phone's
(390 px): axe-core finds no WCAG 2.x A/AA violation, and no page scrolls sideways on the phone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    PHONE,
    layout_problems,
    sign_in,
    sign_out,
    wait_until_drawn,
)
from webapp.cases import services
from webapp.cases.clock_services import extension_request
from webapp.cases.evidence import attachment_add, note_add
from webapp.cases.models import TaskState
from webapp.processes import services as studio

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DVDS = factories.ROOT / "processes" / "dvds"
WIDTHS = [1366, 390]


@pytest.fixture
def pages(hrt: Any) -> dict[str, list[tuple[str, str]]]:
    """Open cases of both schemes: one CSODS task claimed by the case officer, one left in the
    team queue, one Clare's Law application. Each user's pages to visit, as (name, path)."""
    users = get_user_model().objects
    officer, contact = users.get(username="hrt.officer"), users.get(username="hrt.contact")
    factories.officer("hrt.lead", hrt, "decision_maker", "auditor")
    policy = factories.officer("hrt.policy", hrt, "policy_lead")
    factories.deploy(hrt, factories.version("dvds", DVDS))
    mine = services.case_start(user=contact, data=factories.sample("enquiry"), scheme="csods")
    services.case_start(user=contact, data=factories.sample("enquiry"), scheme="csods")
    clare = services.case_start(user=contact, scheme="dvds", data=json.loads(
        (DVDS / "forms" / "samples" / "application.json").read_text()))
    task = mine.tasks.get(state=TaskState.READY)
    services.task_claim(user=officer, task_id=task.pk)
    case = f"/cases/{mine.reference}"
    extension = extension_request(user=officer, reference=mine.reference, clock="overall",
                                  duration="P10D", reason="The partner agency is slow to reply")
    draft = studio.draft_create(user=policy, version_id=mine.version_id)
    note_add(user=officer, reference=mine.reference, text="Rang the applicant.\nNo answer.")
    attachment_add(user=officer, reference=mine.reference, kind="letter",
                   upload=SimpleUploadedFile("letter.pdf", b"%PDF-1.7\n%%EOF\n"),
                   description="Letter to the applicant")
    return {
        "hrt.contact": [("new CSODS case", "/enquiries/new/?scheme=csods"),
                        ("new Clare's Law case", "/enquiries/new/?scheme=dvds")],
        "hrt.officer": [("My tasks", "/"), ("Team queue", "/queue/"), ("Cases", "/cases/"),
                        ("case page", f"{case}/"), ("task page", f"/tasks/{task.pk}/"),
                        ("Clare's Law case page", f"/cases/{clare.reference}/"),
                        ("withdraw confirmation", f"{case}/withdraw/"),
                        ("extension request", f"{case}/clocks/overall/extension/"),
                        ("pause", f"{case}/clocks/overall/pause/"),
                        ("release", f"/tasks/{task.pk}/release/"),
                        ("add a note", f"{case}/notes/new/"),
                        ("add a document", f"{case}/documents/new/"),
                        ("404", "/no-such-page/")],
        "hrt.lead": [("Dashboard", "/dashboard/"), ("Access log", "/audit/"),
                     ("retention", "/audit/retention/"),
                     ("legal hold", f"{case}/hold/"),
                     ("erasure request", f"{case}/retention/ask/"),
                     ("change owner", f"{case}/owner/"),
                     ("reassign (the task is held)", f"/tasks/{task.pk}/assign/"),
                     ("Workload", "/workload/"),
                     ("a colleague's tasks", f"/queue/?assignee={officer.pk}&sort=-due"),
                     ("extension decision", f"/extensions/{extension.pk}/decide/")],
        "hrt.policy": [("Processes", "/studio/"),
                       ("process version", f"/studio/versions/{mine.version_id}/"),
                       ("drift", "/studio/drift/"),
                       ("studio draft editor", f"/studio/drafts/{draft.pk}/"),
                       ("dry run", f"/studio/versions/{mine.version_id}/dry-run/"),
                       ("comparison", f"/studio/diff/?a={mine.version_id}&b={mine.version_id}"),
                       ("break-glass form", f"{case}/")],
    }



@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_have_no_axe_violations_and_fit_the_width(page, pages, width):
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    for username, visits in pages.items():
        sign_in(page, username)
        for name, path in visits:
            page.goto(path)
            # diagrams, and the studio's editor with its panel and problems, checked drawn
            wait_until_drawn(page)
            problems += layout_problems(page, name, width)
        sign_out(page)
    # forms shown again with their errors
    sign_in(page, "hrt.contact")
    page.goto("/enquiries/new/?scheme=csods")
    page.get_by_role("button", name="Record", exact=False).click()
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "new case with errors", width)
    sign_out(page)
    sign_in(page, "hrt.officer")
    page.goto(pages["hrt.officer"][6][1])  # the withdraw confirmation
    page.get_by_role("button", name="Withdraw", exact=False).click()
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "withdraw refused without a reason", width)
    for name, button in (("add a note", "Add the note"), ("add a document", "Add the document")):
        page.goto(dict(pages["hrt.officer"])[name])
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state("networkidle")
        problems += layout_problems(page, f"{name} refused when empty", width)
    sign_out(page)
    sign_in(page, "hrt.policy")
    page.goto(pages["hrt.policy"][-1][1])  # the break-glass form
    page.get_by_role("button", name="Open the case", exact=False).click()
    page.wait_for_load_state("networkidle")
    problems += layout_problems(page, "break-glass refused without a reason", width)
    sign_out(page)
    page.goto("/no-such-page/")
    problems += layout_problems(page, "404 signed out", width)
    assert not problems, "\n".join(problems)


def test_the_team_queues_claim_buttons_are_on_screen_on_a_phone(page, pages):
    page.set_viewport_size({"width": PHONE, "height": 900})
    sign_in(page, "hrt.officer")
    page.goto("/queue/")
    claim = page.get_by_role("button", name="Claim", exact=False).first
    box = claim.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE
    claim.focus()
    assert claim.evaluate("b => b === document.activeElement")


def test_the_layout_has_no_crown_and_no_gds_transport_font(page, pages):
    sign_in(page, "hrt.officer")
    heading = page.get_by_role("heading", level=1)
    font = heading.evaluate("h => getComputedStyle(h).fontFamily").lower()
    assert "arial" in font and "transport" not in font
    assert page.locator(".govuk-header__logotype, svg.govuk-header__logotype").count() == 0
    assert page.locator(".govuk-header").inner_text().strip().startswith("Disclosure Workflow")
    # govuk-frontend's JavaScript started (the module loaded under the page's CSP)
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")


def test_a_follow_up_question_shows_only_when_its_answer_asks_for_it(page, pages):
    """The initial checks ask why an enquiry is out of scope only after 'No' to 'in scope'; the
    radios carry aria-controls, never aria-expanded (which the radio role does not support)."""
    sign_in(page, "hrt.officer")
    page.goto(pages["hrt.officer"][4][1])  # the claimed initial checks task
    scope = page.get_by_role("group", name="The enquiry is in scope of the scheme")
    reason = page.get_by_role("group", name="Why it is out of scope")
    no, yes = scope.get_by_label("No", exact=True), scope.get_by_label("Yes", exact=True)
    assert not reason.is_visible()
    no.check()
    assert reason.is_visible()
    assert no.get_attribute("aria-controls")
    assert no.get_attribute("aria-expanded") is None
    yes.check()
    assert not reason.is_visible()
