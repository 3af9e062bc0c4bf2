"""The case layer reads everything about a scheme from the declarations of the case's own
version: party labels and masking, outcome labels and retention, the withdraw action, risk
markers (flag, queue order, alert) and the forms' words for recorded answers."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.factories import page_html
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import CaseClock, ClockAlert
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db
PATH = {"ut_initial_checks": "initial_checks", "ut_verification_interview":
        "verification_interview", "ut_police_checks": "police_checks",
        "ut_intelligence_checks": "intelligence_checks", "ut_partner_checks": "partner_checks",
        "ut_risk_assessment": "risk_assessment", "ut_decision": "decision",
        "ut_plan_disclosure": "disclosure_plan", "ut_deliver_disclosure": "disclosure_delivery"}


@pytest.fixture
def world():
    return factories.csods_officers()



def _work(world, case: Case, answers: dict | None = None) -> Case:
    for bpmn_id, form in PATH.items():
        task = HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)
        user = world[task.role]
        services.task_claim(user=user, task_id=task.pk)
        data = {**factories.sample(form), **(answers or {}).get(bpmn_id, {})}
        services.task_complete(user=user, task_id=task.pk, data=data)
    case.refresh_from_db()
    return case


def test_a_closed_case_shows_outcome_labels_declared_parties_and_labelled_answers(world):
    case = _work(world, services.case_start(user=world["contact_handler"],
                                            data=factories.sample("enquiry")))

    page = page_html(world["case_officer"], f"/cases/{case.reference}/")

    assert case.retention_class == "public_protection"  # from the outcomes' declarations
    assert "Disclosure: child sexual offences" in page
    assert "DisclosureChildSexualOffence" not in page
    assert re.search(r"Case closed</strong>\s*– Disclosure: child sexual offences", page)
    assert "Enquiry recorded" in page  # the scheme's case noun
    # the declared parties, with their labels, and the recipient named by the decision
    recipient = factories.sample("decision")["recipient"]["name"]
    for words in ("Applicant", "Sarah Collins", "Subject", "Mark Devlin", "Children",
                  "Ellie Collins", "Person told", recipient):
        assert words in page
    # recorded answers: question titles, choice labels, UK dates; no ids or codes
    assert "How the enquiry came in" in page and "Phone (101)" in page
    assert "3 March 2025" in page
    assert "enquiry_date" not in page and "2025-03-03" not in page
    client = Client()
    client.force_login(world["case_officer"])
    sheet = client.get(f"/cases/{case.reference}/answers.csv").content.decode()
    assert "Record the enquiry" in sheet and "How the enquiry came in,Phone (101)" in sheet
    assert "Applicant – Date of birth,14 June 1988" in sheet and "enquiry_date" not in sheet
    # s.62: the disclosure's recipient is the declared recipient party's name
    assert AccessLog.objects.get(object_id=case.reference, operation="disclose").recipients == [
        recipient]


def test_the_list_and_api_show_outcome_labels_beside_codes(world):
    case = _work(world, services.case_start(user=world["contact_handler"],
                                            data=factories.sample("enquiry")))
    listing = page_html(world["decision_maker"], "/cases/")
    assert "Disclosure: child sexual offences" in listing and "Person told" in listing

    from rest_framework.test import APIClient

    from webapp.api.auth import token_create

    client = APIClient()
    _, secret = token_create(user=world["decision_maker"], name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    row = client.get("/api/v1/cases").json()["results"][0]
    assert row["reference"] == case.reference
    assert list(zip(row["outcome_codes"], row["outcomes"], strict=True))[0] == (
        "DisclosureChildSexualOffence", "Disclosure: child sexual offences")


def test_the_subject_is_masked_from_contact_handlers_on_pages_and_in_search(world):
    case = services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))
    contact, officer = world["contact_handler"], world["case_officer"]

    assert "Subject: not shown to your role" in page_html(contact, "/cases/")
    assert case.reference not in page_html(contact, "/cases/?q=devlin")
    assert case.reference in page_html(contact, "/cases/?q=ELLIE")  # a child's name
    assert case.reference in page_html(officer, "/cases/?q=devlin")
    assert "Mark Devlin" in page_html(officer, "/cases/")


def test_the_withdraw_action_uses_the_declared_message_and_its_words(world):
    case = services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))
    officer = world["case_officer"]
    assert "Withdraw the application" in page_html(officer, f"/cases/{case.reference}/")
    assert "Why the applicant withdrew" in page_html(officer, f"/cases/{case.reference}/withdraw/")

    client = Client()
    client.force_login(officer)
    client.post(f"/cases/{case.reference}/withdraw/", {"reason": "Moved away"})

    case.refresh_from_db()
    page = page_html(world["decision_maker"], f"/cases/{case.reference}/")
    assert case.status == "closed" and case.outcome_codes == ["Withdrawn"]
    assert "Applicant withdrew</strong>" in page and "Withdrawn by the applicant" in page
    assert case.retention_class == "other"


def test_a_scheme_without_a_withdraw_message_has_no_withdraw_action(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(factories.MINI, folder)
    declaration = json.loads((folder / "scheme.json").read_text())
    del declaration["messages"]
    (folder / "scheme.json").write_text(json.dumps(declaration))
    hrt = factories.force(process=factories.version("mini", folder))
    officer = factories.officer("officer", hrt, "case_officer")
    case = services.case_start(user=officer, data={"concern": "x",
                                                   "children": [{"name": "Amy", "age": 7}]})

    page = page_html(officer, f"/cases/{case.reference}/")

    assert 'id="withdraw-heading"' not in page
    with pytest.raises(ServiceError, match="no withdraw action"):
        services.case_withdraw(user=officer, reference=case.reference, reason="x")


def test_an_enquiry_flagged_with_immediate_risk_comes_first_and_alerts_decision_makers(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        older = services.case_start(user=world["contact_handler"],
                                    data=factories.sample("enquiry"))
        clock.shift(timedelta(hours=3))
        flagged = services.case_start(user=world["contact_handler"],
                                      data=factories.sample("enquiry"))
        task = flagged.tasks.get(state=TaskState.READY)
        services.task_claim(user=world["case_officer"], task_id=task.pk)
        services.task_complete(user=world["case_officer"], task_id=task.pk, data={
            **factories.sample("initial_checks"), "immediate_risk": True,
            "immediate_risk_details": "Child left alone with the subject"})
        clock.shift(timedelta(minutes=5))
        flagged.refresh_from_db()
        # the case's owner received its next task: put it back in the queue for this check
        for owned in flagged.tasks.filter(state=TaskState.READY, assignee__isnull=False):
            services.task_release(user=world["case_officer"], task_id=owned.pk)
        queue = page_html(world["case_officer"], "/queue/")
        alerts = page_html(world["decision_maker"], "/queue/")
        listing = page_html(world["decision_maker"], "/cases/")
        case_page = page_html(world["decision_maker"], f"/cases/{flagged.reference}/")
        dashboard = page_html(world["decision_maker"], "/dashboard/")
        search = page_html(world["decision_maker"], f"/cases/?q={flagged.reference}")

    assert flagged.risks == ["immediate_risk"]
    # the team queue: the flagged case's task, with its flag, before the older enquiry's
    assert "Immediate risk" in queue
    assert queue.index(flagged.reference) < queue.index(older.reference)
    assert HumanTask.objects.filter(case=flagged, state=TaskState.READY, at_risk=True).exists()
    # the decision maker's alert, and the flag on the case list and the case page
    alert = ClockAlert.objects.get(case=flagged)
    assert alert.kind == "risk" and alert.force_id == flagged.force_id
    assert "Cases marked at risk" in alerts
    assert f"{flagged.reference}</a>: <strong class=\"flag flag--risk\">Immediate risk" in alerts
    assert listing.count("Immediate risk") == 1 and "Immediate risk" in case_page
    assert "Immediate risk" in search and "Immediate risk" in dashboard
    # the officer who claims it sees the flag in My tasks
    risky = HumanTask.objects.get(case=flagged, state=TaskState.READY)
    services.task_claim(user=world["case_officer"], task_id=risky.pk)
    assert "Immediate risk" in page_html(world["case_officer"], "/my-tasks/")


def test_initial_checks_that_find_immediate_risk_meet_the_initial_clock_and_raise_no_breach(
        world):
    """The stage then waits for the immediate-risk review; the 24-hour clock was met when the
    checks were done (its declared ``met_by``), so its breach timer never fires."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = services.case_start(user=world["contact_handler"],
                                   data=factories.sample("enquiry"))
        task = case.tasks.get(state=TaskState.READY)
        services.task_claim(user=world["case_officer"], task_id=task.pk)
        clock.shift(timedelta(hours=2))
        services.task_complete(user=world["case_officer"], task_id=task.pk, data={
            **factories.sample("initial_checks"), "immediate_risk": True,
            "immediate_risk_details": "Child left alone with the subject"})
        clock.shift(timedelta(hours=30))
        timers_sweep()
        page = page_html(world["decision_maker"], f"/cases/{case.reference}/")
    initial = CaseClock.objects.get(case=case, clock="initial")
    assert (initial.state, initial.stopped_at) == ("met", start + timedelta(hours=2))
    assert not ClockAlert.objects.filter(case=case, clock="initial").exists()
    assert not case.tasks.filter(name__icontains="overdue").exists()
    assert "Initial checks" in page and "Met" in page
