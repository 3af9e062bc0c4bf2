"""A case has an owner: the case officer who first claims one of its tasks, or whom a decision
maker names with a reason. The next tasks in lanes the owner works go straight to their My
tasks; parallel checks can be claimed together with one action."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState

pytestmark = pytest.mark.django_db
CHECKS = {"ut_police_checks", "ut_intelligence_checks", "ut_partner_checks"}


@pytest.fixture
def world():
    people = factories.csods_officers()
    people["colleague"] = factories.officer("colleague", people["force"], "case_officer")
    return people



def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _ready(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def _do(user, case: Case, bpmn_id: str, form: str) -> None:
    task = _ready(case, bpmn_id)
    services.task_claim(user=user, task_id=task.pk)
    services.task_complete(user=user, task_id=task.pk, data=factories.sample(form))


def _start(world) -> Case:
    return services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))


def test_the_first_case_officer_to_claim_owns_the_case_and_receives_its_next_tasks(world):
    case = _start(world)
    officer = world["case_officer"]

    _do(officer, case, "ut_initial_checks", "initial_checks")

    case.refresh_from_db()
    assert case.owner == officer
    interview = _ready(case, "ut_verification_interview")
    assert interview.assignee == officer  # straight to the owner, not the queue
    mine = _text(signed_in(officer).get("/my-tasks/").content.decode())
    assert "Verification interview" in mine
    page = _text(signed_in(officer).get(f"/cases/{case.reference}/").content.decode())
    assert "Owner case_officer" in page
    assert CaseEvent.objects.filter(case=case, kind="owner").count() == 1
    # the decision is not the owner's lane: it goes to the queue
    _do(officer, case, "ut_verification_interview", "verification_interview")
    for bpmn_id in sorted(CHECKS):
        _do(officer, case, bpmn_id, bpmn_id.removeprefix("ut_"))
    _do(officer, case, "ut_risk_assessment", "risk_assessment")
    assert _ready(case, "ut_decision").assignee is None


def test_parallel_checks_are_claimed_together_with_one_action(world):
    case = _start(world)
    officer, colleague = world["case_officer"], world["colleague"]
    _do(officer, case, "ut_initial_checks", "initial_checks")
    _do(officer, case, "ut_verification_interview", "verification_interview")
    # the owner received the checks; a decision maker hands the case to a colleague
    assert {t.assignee for t in HumanTask.objects.filter(case=case, state="ready")} == {officer}
    dm = signed_in(world["decision_maker"])
    response = dm.post(f"/cases/{case.reference}/owner/", {"owner": colleague.pk, "reason": ""})
    assert response.status_code == 400 and "Say why the owner is changing" in \
        response.content.decode()
    response = dm.post(f"/cases/{case.reference}/owner/",
                       {"owner": colleague.pk, "reason": "Officer on leave"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == colleague
    assert {t.assignee for t in HumanTask.objects.filter(case=case, state="ready")} == {colleague}
    assert AccessLog.objects.filter(object_id=case.reference,
                                    justification="case owner: colleague").exists()
    event = CaseEvent.objects.filter(case=case, kind="owner").last()
    assert event.detail == "colleague: Officer on leave" and event.actor == world["decision_maker"]
    # the colleague releases the checks, then takes all three back with one action
    for task in HumanTask.objects.filter(case=case, state="ready"):
        services.task_release(user=colleague, task_id=task.pk)
    client = signed_in(colleague)
    first = _ready(case, "ut_police_checks")
    page = _text(client.get(f"/tasks/{first.pk}/").content.decode())
    assert "Claim all 3 tasks of this case" in page
    queue = client.get("/queue/").content.decode()
    assert _text(queue).count("Claim all 3") == 1  # once, on the case's first row
    assert "/claim-all/" in queue

    response = client.post(f"/tasks/{first.pk}/claim-all/", follow=True)

    assert "You have claimed 3 tasks of" in _text(response.content.decode())
    assert {t.bpmn_id for t in HumanTask.objects.filter(
        case=case, state="ready", assignee=colleague)} == CHECKS


def test_only_a_decision_maker_changes_the_owner(world):
    case = _start(world)
    _do(world["case_officer"], case, "ut_initial_checks", "initial_checks")

    response = signed_in(world["colleague"]).post(
        f"/cases/{case.reference}/owner/", {"owner": world["colleague"].pk, "reason": "Mine"})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.owner == world["case_officer"]
    page = _text(signed_in(world["decision_maker"]).get(f"/cases/{case.reference}/")
                 .content.decode())
    assert "Change the owner" in page


def test_a_case_without_an_owner_sends_its_next_tasks_to_the_queue(world):
    case = _start(world)
    task = _ready(case, "ut_initial_checks")
    # a decision maker (not a case officer) works it: no owner is taken
    hrt = world["case_officer"].membership.force
    both = factories.officer("sergeant", hrt, "decision_maker", "disclosure_officer")
    assert Case.objects.get(pk=case.pk).owner is None
    services.task_assign(user=world["decision_maker"], task_id=task.pk,
                         assignee_id=world["case_officer"].pk)
    # assigned by a decision maker: that case officer owns the case
    assert Case.objects.get(pk=case.pk).owner == world["case_officer"]
    assert both.membership.roles == ["decision_maker", "disclosure_officer"]


def test_a_colleagues_step_routes_the_next_tasks_by_the_owners_roles_as_they_are_now(world):
    """The owner's membership is read under the case lock of the step that makes the tasks:
    the tasks go to them while they work the lane, and to the queue once they no longer do."""
    officer, colleague = world["case_officer"], world["colleague"]
    case = _start(world)
    _do(officer, case, "ut_initial_checks", "initial_checks")
    interview = _ready(case, "ut_verification_interview")
    services.task_assign(user=world["decision_maker"], task_id=interview.pk,
                         assignee_id=colleague.pk, reason_code="workload")
    services.task_complete(user=colleague, task_id=interview.pk,
                           data=factories.sample("verification_interview"))
    checks = HumanTask.objects.filter(case=case, bpmn_id__in=CHECKS, state=TaskState.READY)
    assert {t.assignee_id for t in checks} == {officer.pk}  # back to the owner
    # a second case: the owner loses the role before the colleague's step
    other = _start(world)
    _do(officer, other, "ut_initial_checks", "initial_checks")
    interview = _ready(other, "ut_verification_interview")
    services.task_assign(user=world["decision_maker"], task_id=interview.pk,
                         assignee_id=colleague.pk, reason_code="workload")
    officer.membership.roles = ["contact_handler"]
    officer.membership.save(update_fields=["roles"])
    services.task_complete(user=colleague, task_id=interview.pk,
                           data=factories.sample("verification_interview"))
    checks = HumanTask.objects.filter(case=other, bpmn_id__in=CHECKS, state=TaskState.READY)
    assert len(checks) == 3 and {t.assignee_id for t in checks} == {None}  # to the queue
