"""Claiming and assigning the ticked tasks of the queue (each through its own case step, told
task by task), reassigning with a reason, and the supervisor's workload page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.factories import page_html, signed_in
from webapp.api.auth import token_create
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, EventKind, HumanTask, TaskState
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db

ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7}]}


@pytest.fixture
def people():
    hrt = factories.force()
    return {"hrt": hrt, "officer": factories.officer("officer", hrt, "case_officer"),
            "dm": factories.officer("dm", hrt, "decision_maker"),
            "dm2": factories.officer("dm2", hrt, "decision_maker")}


def _tasks(people, n: int) -> list[HumanTask]:
    """``n`` new cases' first tasks: unassigned, in the decision makers' queue."""
    cases = [services.case_start(user=people["officer"], data=ENTER) for _ in range(n)]
    return [c.tasks.get(state=TaskState.READY) for c in cases]


def _log(case: Case) -> list[tuple[str, str]]:
    return list(AccessLog.objects.filter(object_type="case", object_id=case.reference)
                .order_by("pk").values_list("actor_username", "justification"))


def _notices(response) -> list[str]:
    page = unescape(response.content.decode())
    return [re.sub(r"\s+", " ", m).strip() for m in
            re.findall(r'govuk-notification-banner__heading">([^<]+)<', page)]


def test_claim_selected_claims_each_and_says_which_was_taken_already(people):
    first, second, third = _tasks(people, 3)
    services.task_claim(user=people["dm2"], task_id=second.pk)
    client = signed_in(people["dm"])

    response = client.post("/queue/?sort=due", {"action": "claim",
                                                "task": [first.pk, second.pk, third.pk]},
                           follow=True)

    assert response.redirect_chain[-1][0] == "/queue/?sort=due"  # the same filtered list
    notices = _notices(response)
    assert notices[0] == "2 claimed; 1 had already been claimed by someone else."
    assert notices[1] == (f"'{second.name}' on {second.case.reference}: '{second.name}' was "
                          "already claimed by dm2.")
    assert [t.assignee_id for t in HumanTask.objects.filter(
        pk__in=[first.pk, second.pk, third.pk]).order_by("pk")] == [
        people["dm"].pk, people["dm2"].pk, people["dm"].pk]
    # each claimed task has its own case event and access-log entry
    for task in (first, third):
        assert task.case.events.filter(kind=EventKind.CLAIMED, actor=people["dm"]).exists()
        assert ("dm", f"task claimed: {task.name}") in _log(task.case)
    assert ("dm", f"task claimed: {second.name}") not in _log(second.case)


def test_claim_selected_with_nothing_ticked_says_what_to_do(people):
    _tasks(people, 1)
    response = signed_in(people["dm"]).post("/queue/", {"action": "claim"})
    assert response.status_code == 400
    assert "Select the tasks first: tick the box beside each task." in response.content.decode()


def test_assign_selected_is_for_decision_makers_and_reports_each_task(people):
    first, second = _tasks(people, 2)
    refused = signed_in(people["officer"]).post("/queue/", {
        "action": "assign", "task": [first.pk], "assignee": people["dm2"].pk})
    assert refused.status_code == 403
    assert "Only a decision maker may assign tasks." in refused.content.decode()

    services.task_claim(user=people["dm2"], task_id=second.pk)
    response = signed_in(people["dm"]).post("/queue/", {
        "action": "assign", "task": [first.pk, second.pk], "assignee": people["dm"].pk},
        follow=True)
    notices = _notices(response)
    assert notices[0] == "1 assigned; 1 could not be assigned."
    assert "it is held by another officer: open the task and use Assign" in notices[1]
    assert HumanTask.objects.get(pk=first.pk).assignee == people["dm"]
    assert HumanTask.objects.get(pk=second.pk).assignee == people["dm2"]
    assert ("dm", f"task assigned: {first.name}, to dm") in _log(first.case)


def test_a_supervisor_passes_on_their_own_task_without_a_reason(people):
    [task] = _tasks(people, 1)
    services.task_claim(user=people["dm"], task_id=task.pk)
    page = signed_in(people["dm"]).post(f"/tasks/{task.pk}/assign/",
                                        {"assignee": people["dm2"].pk})
    assert page.status_code in (302, 303), page.content.decode()[:500]
    assert HumanTask.objects.get(pk=task.pk).assignee == people["dm2"]
    assert not CaseEvent.objects.filter(case=task.case, kind=EventKind.REASSIGNED).exists()


@pytest.mark.parametrize("values", [{"action": "claim", "task": ["\u00b2"]},
                                    {"action": "claim", "task": ["9" * 40]},
                                    {"action": "assign", "task": ["1"], "assignee": "\u00b2"}])
def test_odd_numbers_in_a_bulk_action_are_a_clear_answer(people, values):
    _tasks(people, 1)
    response = signed_in(people["dm"]).post("/queue/", values)
    assert response.status_code == 400
    assert ("Select the tasks first" in response.content.decode()
            or "Select the officer" in response.content.decode())


def test_reassigning_without_a_reason_is_refused_with_a_message(people):
    [task] = _tasks(people, 1)
    services.task_claim(user=people["dm2"], task_id=task.pk)
    with pytest.raises(ServiceError) as caught:
        services.task_assign(user=people["dm"], task_id=task.pk, assignee_id=people["dm"].pk)
    assert caught.value.http_status == 400
    assert caught.value.message == "Select why the task is being reassigned."
    with pytest.raises(ServiceError) as caught:
        services.task_assign(user=people["dm"], task_id=task.pk, assignee_id=people["dm"].pk,
                             reason_code="other", reason="   ")
    assert caught.value.message == "Enter why the task is being reassigned."
    assert HumanTask.objects.get(pk=task.pk).assignee == people["dm2"]

    page = signed_in(people["dm"]).post(f"/tasks/{task.pk}/assign/",
                                        {"assignee": people["dm"].pk})
    assert page.status_code == 400
    assert "Select why the task is being reassigned." in page.content.decode()


def test_a_reassignment_is_on_the_timeline_and_in_the_access_log(people):
    [task] = _tasks(people, 1)
    services.task_claim(user=people["dm2"], task_id=task.pk)
    response = signed_in(people["dm"]).post(f"/tasks/{task.pk}/assign/", {
        "assignee": people["dm"].pk, "reason_code": "away", "reason": "On leave until Monday"})
    assert response.status_code == 302

    event = CaseEvent.objects.get(case=task.case, kind=EventKind.REASSIGNED)
    assert event.detail == ("from dm2 to dm: The officer is away or unavailable "
                            "(On leave until Monday)")
    # the log names the reason's category, never the typed words
    assert _log(task.case)[-1] == ("dm", f"task reassigned: {task.name}, from dm2 to dm, "
                                         "because: the officer is away or unavailable")
    # the previous holder sees it on the case's timeline
    timeline = re.sub(r"\s+", " ", unescape(page_html(people["dm2"],
                                                      f"/cases/{task.case.reference}/")))
    assert "Task reassigned" in timeline and "On leave until Monday" in timeline


def test_the_workload_page_counts_each_officers_tasks_and_links_to_them(people):
    first, second, _ = _tasks(people, 3)
    services.task_claim(user=people["dm2"], task_id=first.pk)
    services.task_claim(user=people["dm2"], task_id=second.pk)
    HumanTask.objects.filter(pk=second.pk).update(at_risk=True)
    assert signed_in(people["officer"]).get("/workload/").status_code == 404

    page = re.sub(r"\s+", " ", page_html(people["dm"], "/workload/"))
    dm2 = people["dm2"].pk
    assert f'href="/queue/?assignee={dm2}">2<' in page
    assert f'href="/queue/?assignee={dm2}&amp;risk=yes"><strong class="flag flag--risk">1<' in page
    listed = page_html(people["dm"], f"/queue/?assignee={dm2}&risk=yes")
    assert second.case.reference in listed and first.case.reference not in listed


def test_the_api_filters_tasks_at_risk_and_reassigns_only_with_a_reason(people):
    first, second = _tasks(people, 2)
    HumanTask.objects.filter(pk=second.pk).update(at_risk=True)
    services.task_claim(user=people["dm2"], task_id=first.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=people['dm'], name='t')[1]}")

    risky = client.get("/api/v1/tasks", {"atRisk": "true"}).json()["results"]
    assert [t["id"] for t in risky] == [second.pk]
    refused = client.post(f"/api/v1/tasks/{first.pk}/assign", {"assignee": "dm"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Select why the task is being reassigned."
    done = client.post(f"/api/v1/tasks/{first.pk}/assign",
                       {"assignee": "dm", "reason_code": "workload"}, format="json")
    assert done.status_code == 200 and done.json()["assignee"] == "dm"
    assert _log(first.case)[-1] == ("dm", f"task reassigned: {first.name}, from dm2 to dm, "
                                          "because: to balance the team's workload")
