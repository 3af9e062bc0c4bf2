"""One Clare's Law case in a real browser, from a folder alone: the force runs Sarah's Law and
Clare's Law; the contact handler records a Right to Ask application choosing "Clare's Law";
the case officer, the decision maker (the forum's decision) and the disclosure officer work
their tasks through the pages, typing the scheme's sample answers; the closed case shows the
outcome labels processes/dvds/scheme.json declares."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests import factories
from tests.browser.pages import (
    CHROMIUM,
    assert_accessible,
    audit_case,
    claim_from_queue,
    click,
    fill_form,
    nav,
    sign_in,
    sign_out,
    submit,
    summary_value,
)

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DVDS = factories.ROOT / "processes" / "dvds"
SCHEME = json.loads((DVDS / "scheme.json").read_text())
REFERENCE = re.compile(r"^HRT-\d{4}-\d{6}$")
# The Right to Ask applicant (as processes/dvds/demo.json's first plan records her).
APPLICANT = {"first_name": "Janet", "last_name": "Marsh", "date_of_birth": "1968-09-30",
             "relationship_to_person_at_risk": "parent", "safe_contact_method": "phone",
             "safe_contact_details": "07700 900789", "safe_contact_times": "Any time"}
CHECKS = {"Police systems checks": "police_checks",
          "Local intelligence checks": "intelligence_checks",
          "Partner agency checks": "partner_checks"}


def sample(name: str) -> dict[str, Any]:
    """A fresh copy of the sample answers for one Clare's Law form."""
    return json.loads((DVDS / "forms" / "samples" / f"{name}.json").read_text())


@pytest.fixture
def hrt_both(hrt):
    """Hertfordshire runs CSODS (conftest) and Clare's Law; a disclosure officer joins."""
    factories.deploy(hrt, factories.version("dvds", DVDS))
    factories.officer("hrt.disclosure", hrt, "disclosure_officer")
    return hrt


def complete(page, task_name: str, form: str, **changes: Any) -> None:
    """Claim the task from the team queue, type its sample answers and submit."""
    claim_from_queue(page, task_name)
    fill_form(page, {**sample(form), **changes})
    submit(page)
    assert REFERENCE.match(page.get_by_role("heading", level=1).inner_text())
    assert f"'{task_name}' completed on" in page.locator(".notices").inner_text()


def test_a_right_to_ask_application_goes_to_a_disclosure(page, hrt_both):
    # --- contact handler: chooses Clare's Law and records the application -----------------
    sign_in(page, "hrt.contact")
    nav(page, "Start a new case")
    assert page.get_by_role("heading", level=1).inner_text() == "Which scheme is this for?"
    page.get_by_label(re.compile(SCHEME["short_title"].replace("'", "."))).check()
    click(page, page.get_by_role("button", name="Continue"))
    assert page.get_by_role("heading", level=1).inner_text() == "Start a new application"
    application = {**sample("application"), "route": "right_to_ask", "received_via": "phone",
                   "applicant": APPLICANT}
    fill_form(page, application)
    assert_accessible(page)
    click(page, page.get_by_role("button", name="Record application"))

    reference = page.get_by_role("heading", level=1).inner_text()
    assert REFERENCE.match(reference), reference
    assert f"Application recorded as {reference}." in page.locator(".notices").inner_text()
    assert summary_value(page, "Status") == "Open"
    parties = page.get_by_role("region", name="Parties").inner_text()
    assert "Janet Marsh" in parties and "Chloe Marsh" in parties
    assert "Ryan Tate" not in parties  # the subject is hidden from contact handlers
    sign_out(page)

    # --- case officer: immediate-risk check, meeting, the three checks, the assessment -----
    sign_in(page, "hrt.officer")
    complete(page, "Immediate-risk check (24 hours)", "initial_check")
    complete(page, "Face-to-face meeting", "meeting")
    for name, form in CHECKS.items():
        complete(page, name, form)
    complete(page, "Risk assessment and recommendation", "risk_assessment")
    sign_out(page)

    # --- decision maker: records the forum's decision to disclose --------------------------
    sign_in(page, "hrt.decision")
    claim_from_queue(page, "Record the forum's decision")
    assert_accessible(page)  # the forum's form: attendees and agency views repeat
    fill_form(page, sample("forum_decision"))
    submit(page)
    assert "'Record the forum's decision' completed on" in page.locator(".notices").inner_text()
    sign_out(page)

    # --- disclosure officer: plans and makes the disclosure; the case closes ---------------
    sign_in(page, "hrt.disclosure")
    complete(page, "Plan the disclosure", "disclosure_plan")
    complete(page, "Disclose in person and take the undertaking", "disclosure_delivery")

    assert page.get_by_role("heading", level=1).inner_text() == reference
    assert summary_value(page, "Status") == "Closed"
    assert summary_value(page, "Outcome") == ", ".join(
        SCHEME["outcomes"][code]["label"]  # the declared labels, never the codes
        for code in ("RightToAsk", "Disclosure", "SafeguardingReferral"))
    assert page.get_by_role("region", name="Open tasks").count() == 0
    assert_accessible(page)
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    for step in ("Application recorded", "Task completed: Record the forum's decision by "
                 "hrt.decision", "Task completed: Disclose in person and take the undertaking "
                 "by hrt.disclosure"):
        assert step in timeline, f"{step!r} not in the timeline:\n{timeline}"
    nav(page, "Cases")
    row = page.get_by_role("row").filter(has_text=reference).inner_text()
    assert "Closed" in row and "Clare's Law" in row and "Disclosure made" in row
    sign_out(page)

    # --- auditor: the disclosure is logged with its recipient (s.62) ----------------------
    assert "Disclosure\tcase" in audit_case(page, reference, "Disclosure", "Consultation")
