"""A case's whole life in a real browser: contact handler, case officer and decision maker sign
in, record an enquiry, claim and work every task of the CSODS process up to a no-disclosure
outcome, and see the closed case with its diagram. Every page type is checked with axe-core,
and stored script in an enquiry must be shown as text, never run."""

from __future__ import annotations

import re

import pytest

from tests.browser.pages import (
    CHROMIUM,
    assert_accessible,
    audit_case,
    claim_from_queue,
    click,
    fill_form,
    nav,
    sample,
    screenshot,
    sign_in,
    sign_out,
    submit,
    summary_value,
    task_form,
)
from webapp.cases.models import HumanTask, TaskState

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"^HRT-\d{4}-000001$")
PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
PARALLEL_CHECKS = {"Police systems checks (PNC, PND, ViSOR)": "police_checks",
                   "Local intelligence checks": "intelligence_checks",
                   "Partner agency checks": "partner_checks"}


def group(page, name: str):
    """A fieldset by its legend (required ones end in '(required)')."""
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(name)}( \(required\))?$"))


def field(scope, label: str):
    """An input by its whole label (required ones end in '(required)')."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \(required\))?$"))


def fill_date(scope, legend: str, iso: str) -> None:
    """A date typed into its day, month and year fields, as an officer would."""
    year, month, day = iso.split("-")
    dates = group(scope, legend)
    dates.get_by_label("Day", exact=True).fill(str(int(day)))
    dates.get_by_label("Month", exact=True).fill(str(int(month)))
    dates.get_by_label("Year", exact=True).fill(year)


def wait_for_diagram(page) -> None:
    page.wait_for_selector('#diagram[data-rendered="true"]')


def record_enquiry_by_label(page) -> None:
    """The enquiry form, filled through its labels and legends the way an officer would."""
    enquiry = sample("enquiry")
    group(page, "How the enquiry came in").get_by_label("Phone (101)", exact=True).check()
    fill_date(page, "Date of the enquiry", enquiry["enquiry_date"])

    applicant = group(page, "Applicant")
    field(applicant, "First name").fill("Sarah")
    field(applicant, "Last name").fill("Collins")
    fill_date(applicant, "Date of birth", "1988-06-14")
    field(applicant, "Address").fill(enquiry["applicant"]["address"])
    group(applicant, "Safe contact method").get_by_label("Phone", exact=True).check()
    field(applicant, "Safe contact details (number, email or address)").fill("07700 900123")
    group(applicant, "Interpreter needed").get_by_label("No", exact=True).check()

    subject = group(page, "Subject")
    field(subject, "First name").fill("Mark")
    field(subject, "Last name").fill("Devlin")
    field(subject, "Alias 1").fill("Marky Dee")
    field(subject, "Relationship to the applicant").select_option(
        label="Partner, not living together")

    child = group(page, "Child 1")
    field(child, "First name").fill("Ellie")
    field(child, "Last name").fill("Collins")
    fill_date(child, "Date of birth", "2016-09-02")
    field(group(child, "Applicant's relationship to the child"), "Parent").check()
    field(child, "Subject's relationship to the child").fill("Babysits at weekends")

    # Children is a repeating group: "Add another child" reloads the form with a second item
    # and keeps what was typed.
    click(page, group(page, "Children").get_by_role("button", name="Add another child"))
    assert field(group(page, "Child 1"), "First name").input_value() == "Ellie"
    assert field(group(page, "Applicant"), "First name").input_value() == "Sarah"
    child = group(page, "Child 2")
    field(child, "First name").fill("Tom")
    field(child, "Approximate age (if date of birth unknown)").fill("4")
    field(group(child, "Applicant's relationship to the child"), "Parent").check()
    field(child, "Subject's relationship to the child").fill("None yet")

    field(page, "The concern, in the applicant's words").fill(enquiry["concern"])
    group(page, "The applicant describes an immediate or imminent risk to a child") \
        .get_by_label("No", exact=True).check()


def no_disclosure_decision(page) -> None:
    decision = sample("decision")
    del decision["recipient"]
    for key in ("decision", "disclosure_category"):  # chosen by their labels below
        del decision[key]
    decision.update(safeguarding_referral=False, inform_subject=False, rationale={
        "summary": "No disclosure: the possible PNC match was not the subject.",
        "lawful_basis": "Common law powers; nothing to disclose.",
        "necessity": "Not necessary: no relevant convictions or intelligence.",
        "proportionality": "Disclosure of unrelated information would not be proportionate.",
        "departure_from_recommendation": "Positive identification failed after the assessment.",
    })
    group(page, "Decision").get_by_label("No disclosure", exact=True).check()
    field(group(page, "What will be disclosed"), "Nothing (no disclosure)").check()
    fill_form(page, decision)


def complete_task(page, form: str, **changes) -> None:
    task = page.get_by_role("heading", level=1).inner_text()
    fill_form(page, {**sample(form), **changes})
    submit(page)
    assert page.get_by_role("heading", level=1).inner_text().startswith("HRT-")
    assert f"'{task}' completed on" in page.locator(".notices").inner_text()


def choose_scheme(page, short_title: str) -> None:
    """Where the force runs several schemes, the first page asks which one."""
    if page.get_by_role("heading", level=1).inner_text() == "Which scheme is this for?":
        page.get_by_label(short_title, exact=False).check()
        click(page, page.get_by_role("button", name="Continue"))


def test_an_enquiry_goes_from_first_contact_to_a_no_disclosure_outcome(page, hrt):
    # --- contact handler: sign in and record the enquiry -----------------------------------
    page.goto("/")
    assert page.url.endswith("/login/?next=/")
    assert_accessible(page)
    field(page, "Username").fill("hrt.contact")
    field(page, "Password").fill("not the password")
    click(page, page.get_by_role("button", name="Sign in"))
    assert "There is a problem" in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    sign_in(page, "hrt.contact")
    assert page.url.endswith("/enquiries/new/"), page.url  # the contact handler's start page

    nav(page, "Start a new case")
    choose_scheme(page, "Sarah's Law")
    assert page.get_by_role("heading", level=1).inner_text() == "Start a new enquiry"
    assert_accessible(page)
    record_enquiry_by_label(page)
    assert_accessible(page)
    click(page, page.get_by_role("button", name="Record enquiry"))

    reference = page.get_by_role("heading", level=1).inner_text()
    assert REFERENCE.match(reference), reference
    assert f"Enquiry recorded as {reference}." in page.locator(".notices").inner_text()
    assert summary_value(page, "Status") == "Open"
    assert summary_value(page, "Stage") == "1. Enquiry and initial checks"
    parties = page.get_by_role("region", name="Parties")
    assert "Sarah Collins" in parties.inner_text()
    assert "Ellie Collins, Tom" in parties.inner_text()
    open_tasks = page.get_by_role("region", name="Open tasks").inner_text()
    assert "Initial checks (24 hours) – Case officer, unassigned" in open_tasks
    wait_for_diagram(page)
    assert page.locator(".djs-element.dw-current").count() > 0
    assert_accessible(page)  # the bpmn-js diagram included
    sign_out(page)

    # --- case officer: initial checks and the verification interview ----------------------
    sign_in(page, "hrt.officer")
    assert "You have no tasks" in page.get_by_role("main").inner_text()
    nav(page, "Team queue")
    assert_accessible(page)
    claim_from_queue(page, "Initial checks (24 hours)")
    assert_accessible(page)
    complete_task(page, "initial_checks")

    claim_from_queue(page, "Verification interview")
    interview = sample("verification_interview")
    date = interview.pop("interview_date")
    fill_form(page, interview)
    submit(page)  # the interview date (required) is still empty
    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading").inner_text() == "There is a problem"
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    link = summary.get_by_role("link", name="Enter the interview date")
    assert "Enter the interview date" in group(page, "Interview date").inner_text()
    date_input = group(page, "Interview date").get_by_label("Day", exact=True)
    assert link.get_attribute("href") == "#" + date_input.get_attribute("id")
    assert date_input.get_attribute("aria-invalid") == "true"
    kept = field(page, "Where the interview took place").input_value()
    assert kept == interview["interview_location"]
    assert_accessible(page)
    link.click()
    assert page.evaluate("document.activeElement.id") == date_input.get_attribute("id")
    # Nothing was saved: the case, seen in another tab, still waits for the interview.
    other = page.context.new_page()
    other.goto(f"/cases/{reference}/")
    assert "Verification interview – Case officer, hrt.officer" in other.get_by_role(
        "region", name="Open tasks").inner_text()
    timeline = other.get_by_role("region", name="Timeline").inner_text()
    # the officer who claimed the first task owns the case: the interview came straight to them
    assert "Task claimed: Initial checks (24 hours) by hrt.officer" in timeline
    assert "Task completed: Verification interview" not in timeline
    other.close()
    task = HumanTask.objects.get(case__reference=reference, bpmn_id="ut_verification_interview")
    assert task.state == TaskState.READY
    fill_date(page, "Interview date", date)
    submit(page)
    assert "'Verification interview' completed on" in page.locator(".notices").inner_text()

    # --- case officer: the three checks run in parallel; claim them all, then work them ----
    for name in PARALLEL_CHECKS:
        claim_from_queue(page, name)
    nav(page, "My tasks")
    tasks = page.get_by_role("table", name="Tasks assigned to you")
    assert tasks.get_by_role("row").count() == 1 + len(PARALLEL_CHECKS)
    screenshot(page, "inbox.png")
    assert_accessible(page)
    for name, form in PARALLEL_CHECKS.items():
        nav(page, "My tasks")
        click(page, tasks.get_by_role("link", name=name))
        complete_task(page, form)
    claim_from_queue(page, "Risk assessment and recommendation")
    complete_task(page, "risk_assessment")
    sign_out(page)

    # --- decision maker: decides not to disclose ------------------------------------------
    sign_in(page, "hrt.decision")
    nav(page, "Team queue")  # a decision maker's queue has more in it (alerts, approvals)
    assert_accessible(page)
    claim_from_queue(page, "Decide on disclosure")
    screenshot(page, "task.png")
    no_disclosure_decision(page)
    assert_accessible(page)
    submit(page)
    assert "'Decide on disclosure' completed on" in page.locator(".notices").inner_text()
    sign_out(page)

    # --- case officer: tells the applicant; the case closes --------------------------------
    sign_in(page, "hrt.officer")
    claim_from_queue(page, "Inform the applicant and record as intelligence")
    complete_task(page, "no_disclosure_outcome")

    assert page.get_by_role("heading", level=1).inner_text() == reference
    assert summary_value(page, "Status") == "Closed"
    assert summary_value(page, "Outcome") == "No disclosure"  # the declared label
    assert page.get_by_role("region", name="Open tasks").count() == 0
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    done = ("Initial checks (24 hours)", "Verification interview", *PARALLEL_CHECKS,
            "Risk assessment and recommendation")
    for step in ("Enquiry recorded: Record the enquiry by hrt.contact",
                 *(f"Task completed: {name} by hrt.officer" for name in done),
                 "Task completed: Decide on disclosure by hrt.decision",
                 "Task completed: Inform the applicant and record as intelligence by hrt.officer"):
        assert step in timeline, f"{step!r} not in the timeline:\n{timeline}"
    wait_for_diagram(page)
    assert page.locator(".djs-element.dw-completed").count() > 0
    assert page.locator(".djs-element.dw-current").count() == 0
    assert_accessible(page)  # the bpmn-js diagram included
    screenshot(page, "case.png", full_page=True)
    nav(page, "Cases")
    assert "Closed" in page.get_by_role("row").filter(has_text=reference).inner_text()
    assert_accessible(page)
    sign_out(page)

    # --- auditor: every step of the case is in the access log (s.62) ----------------------
    audit_case(page, reference, "Collection", "Alteration", "Consultation")


def test_script_typed_into_an_enquiry_is_shown_as_text_and_never_runs(page, hrt):
    enquiry = sample("enquiry")
    enquiry["applicant"]["first_name"] = PAYLOAD
    enquiry["subject"]["last_name"] = PAYLOAD
    enquiry["children"][0]["first_name"] = PAYLOAD
    enquiry["concern"] = PAYLOAD
    sign_in(page, "hrt.contact")
    nav(page, "Start a new case")
    choose_scheme(page, "Sarah's Law")
    fill_form(page, enquiry)
    click(page, page.get_by_role("button", name="Record enquiry"))
    reference = page.get_by_role("heading", level=1).inner_text()
    assert REFERENCE.match(reference), reference

    def shown_as_text() -> None:
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate("""() => [...document.querySelectorAll('script, img')].filter(
            e => e.textContent.includes('__xss') || e.getAttribute('src') === 'x').length""") == 0
        assert not page.dialogs and not page.errors

    assert summary_value(page, "Status") == "Open"
    assert f"{PAYLOAD} Collins" in page.get_by_role("region", name="Parties").inner_text()
    record = page.locator("details.record").first
    record.locator("summary").click()
    assert PAYLOAD in record.inner_text()
    shown_as_text()
    nav(page, "Cases")
    assert f"{PAYLOAD} Collins" in page.get_by_role("table").inner_text()
    shown_as_text()
    sign_out(page)

    sign_in(page, "hrt.officer")
    claim_from_queue(page, "Initial checks (24 hours)")
    assert f"{PAYLOAD} Collins" in page.get_by_role("region", name="Case summary").inner_text()
    shown_as_text()
    # Typed into the task's own form, saved as a draft and shown again in the textarea.
    summary = field(task_form(page), "Checks made and findings")
    summary.fill(PAYLOAD)
    submit(page, "Save draft")
    assert "Draft saved" in page.locator(".notices").inner_text()
    assert field(task_form(page), "Checks made and findings").input_value() == PAYLOAD
    shown_as_text()
