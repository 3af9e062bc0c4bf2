"""The right information at the right step: a task page shows what earlier steps recorded that
it needs (declared in scheme.json ``shows``), a task that comes back says why and what was said,
a completed task has no running clock, and breach reviews show the clock they review."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.factories import page_html
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.timers import timers_sweep

pytestmark = pytest.mark.django_db
TO_DECISION = {"ut_initial_checks": "initial_checks",
               "ut_verification_interview": "verification_interview",
               "ut_police_checks": "police_checks", "ut_intelligence_checks": "intelligence_checks",
               "ut_partner_checks": "partner_checks", "ut_risk_assessment": "risk_assessment"}
TO_DELIVERY = {"ut_decision": "decision", "ut_plan_disclosure": "disclosure_plan"}


@pytest.fixture
def world():
    return factories.csods_officers()



def _ready(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def _work(world, case: Case, path: dict[str, str], answers: dict | None = None) -> None:
    for bpmn_id, form in path.items():
        task = _ready(case, bpmn_id)
        user = world[task.role]
        services.task_claim(user=user, task_id=task.pk)
        data = {**factories.sample(form), **(answers or {}).get(bpmn_id, {})}
        services.task_complete(user=user, task_id=task.pk, data=data)


def _start(world) -> Case:
    return services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_decision_shows_the_checks_and_the_risk_assessment_in_words(world):
    case = _start(world)
    _work(world, case, TO_DECISION)

    page = _text(page_html(world["decision_maker"], f"/tasks/{_ready(case, 'ut_decision').pk}/"))

    assert "Recorded earlier" in page
    assert "Risk assessment and recommendation" in page
    assert "Risk to the named child High" in page  # the question and the value's label
    assert "Recommendation Disclose" in page
    assert "risk_to_child" not in page and "Police systems checks" in page


def test_the_delivery_shows_the_disclosure_plan(world):
    case = _start(world)
    _work(world, case, {**TO_DECISION, **TO_DELIVERY})

    page = _text(page_html(world["disclosure_officer"],
                       f"/tasks/{_ready(case, 'ut_deliver_disclosure').pk}/"))

    assert "Plan the disclosure" in page
    assert "Exactly what will be disclosed Mark Devlin was convicted in 1998" in page
    assert "Risk of the meeting Low" in page
    # the checks are not this task's business
    assert "Risk assessment and recommendation" not in page


def test_a_decision_back_after_a_refused_undertaking_says_why_and_keeps_the_answers(world):
    case = _start(world)
    _work(world, case, {**TO_DECISION, **TO_DELIVERY})
    _work(world, case, {"ut_deliver_disclosure": "disclosure_delivery"}, {
        "ut_deliver_disclosure": {"undertaking_signed": False,
                                  "undertaking_refusal_reason": "Would not sign, wants to tell "
                                                                "her sister"}})

    task = _ready(case, "ut_decision")
    page = page_html(world["decision_maker"], f"/tasks/{task.pk}/")
    text = _text(page)

    assert "This task has come back" in text
    assert "Why the undertaking was refused Would not sign, wants to tell her sister" in text
    assert "Undertaking to keep the information confidential signed No" in text
    # the earlier decision's answers are in the form, to change what needs changing
    summary = factories.sample("decision")["rationale"]["summary"]
    assert summary[:40] in page
    # a clock applies (the overall response): not "No time limit"
    assert "No time limit" not in text
    assert re.search(r"\d+ days? left", text)


def test_a_disclosure_not_made_in_person_comes_back_to_the_decision_maker(world):
    case = _start(world)
    _work(world, case, {**TO_DECISION, **TO_DELIVERY, "ut_deliver_disclosure":
                        "disclosure_delivery"},
          {"ut_deliver_disclosure": {"delivered_in_person": False}})

    case.refresh_from_db()
    assert case.status == "open" and case.outcome_codes == []
    page = _text(page_html(world["decision_maker"], f"/tasks/{_ready(case, 'ut_decision').pk}/"))
    assert "This task has come back" in page and "Delivered in person No" in page


def test_a_task_sent_back_by_its_own_answers_says_so_and_keeps_them(world):
    case = _start(world)
    _work(world, case, {"ut_initial_checks": "initial_checks",
                        "ut_verification_interview": "verification_interview"},
          {"ut_verification_interview": {"interview_method": "phone"}})

    interview = _ready(case, "ut_verification_interview")
    raw = page_html(world["case_officer"], f"/tasks/{interview.pk}/")
    page = _text(raw)

    assert "This task has come back" in page
    assert "because of the answers it was completed with" in page
    assert 'value="Hatfield police station"' in raw  # the earlier answers, filled in


def test_a_completed_task_shows_no_running_clock(world):
    case = _start(world)
    _work(world, case, {"ut_initial_checks": "initial_checks"})
    done = HumanTask.objects.get(case=case, bpmn_id="ut_initial_checks")

    page = _text(page_html(world["case_officer"], f"/tasks/{done.pk}/"))

    assert "left" not in page and "Overdue" not in page
    assert "Completed" in page


def test_a_breach_review_shows_the_clock_it_reviews(world):
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False) as clock:
        case = _start(world)
        clock.shift(timedelta(hours=30))
        timers_sweep()
        timers_sweep()
        review = _ready(case, "ut_review_initial_breach")
        page = _text(page_html(world["decision_maker"], f"/tasks/{review.pk}/"))
    assert "No time limit" not in page
    assert "Overdue by 6 hours" in page


@pytest.mark.parametrize(("roles", "lands_on", "words"), [
    (("contact_handler",), "/enquiries/new/", "Start a new enquiry"),
    (("case_officer",), "/my-tasks/", "My tasks"),
    (("disclosure_officer",), "/my-tasks/", "My tasks"),
    (("decision_maker",), "/queue/", "Team queue"),
    (("policy_lead",), "/studio/", "Processes"),
    (("auditor",), "/audit/", "Access log"),
    (("decision_maker", "auditor"), "/queue/", "Team queue"),
])
def test_each_role_lands_on_its_own_startpage_html(world, roles, lands_on, words):
    hrt = world["case_officer"].membership.force
    user = factories.officer("someone", hrt, *roles)
    client = Client()

    signed_in = client.post("/login/", {"username": "someone", "password": factories.PASSWORD})
    client.post("/login/code/", {"code": factories.totp_code(factories.authenticator(user))})
    home = client.get("/")

    assert signed_in.status_code == 302 and signed_in.url == "/"
    assert home.status_code == 302 and home.url == lands_on
    page = client.get(lands_on, follow=True)
    assert page.status_code == 200 and words in page.content.decode()
    assert "Claim one from the team queue" not in page.content.decode() or (
        "case_officer" in roles or "disclosure_officer" in roles)
    assert user.is_authenticated


def test_the_clare_s_law_forum_and_delivery_show_what_their_scheme_declares(world):
    # given: a force that runs the DVDS folder, worked up to the forum's decision
    dvds = factories.ROOT / "processes" / "dvds"
    samples = {p.stem: json.loads(p.read_text()) for p in (dvds / "forms" / "samples").glob("*")}
    hrt = world["case_officer"].membership.force
    factories.deploy(hrt, factories.version("dvds", dvds))
    case = services.case_start(user=world["contact_handler"], data=samples["application"],
                               scheme="dvds")

    def work_until(stop: str) -> HumanTask:
        for _ in range(20):
            ready = list(HumanTask.objects.filter(case=case, state=TaskState.READY))
            found = next((t for t in ready if t.bpmn_id == stop), None)
            if found is not None:
                return found
            task = ready[0]
            user = world[task.role]
            services.task_claim(user=user, task_id=task.pk)
            services.task_complete(user=user, task_id=task.pk,
                                   data=samples[task.form_file.removesuffix(".schema.json")])
        raise AssertionError(stop)

    forum = work_until("ut_dv_forum_decision")
    page = _text(page_html(world["decision_maker"], f"/tasks/{forum.pk}/"))
    assert "Risk to the person at risk Medium" in page

    delivery = work_until("ut_dv_deliver_disclosure")
    page = _text(page_html(world["disclosure_officer"], f"/tasks/{delivery.pk}/"))
    assert "Recorded earlier" in page and "Planned for 27 February 2026" in page
    assert "Risk to the person at risk" not in page


def test_a_contact_handler_s_start_page_lists_the_cases_they_recorded(world):
    handler = world["contact_handler"]
    first = services.case_start(user=handler, data=factories.sample("enquiry"))
    second = services.case_start(user=handler, data=factories.sample("enquiry"))
    other = factories.officer("other.handler", handler.membership.force, "contact_handler")
    theirs = services.case_start(user=other, data=factories.sample("enquiry"))
    client = Client()
    client.force_login(handler)

    page = client.get("/", follow=True).content.decode()

    assert "Cases you recorded recently" in page
    assert page.index(second.reference) < page.index(first.reference)  # newest first
    assert theirs.reference not in page
    first.refresh_from_db()
    assert first.stage and first.stage in page  # where the case is now
