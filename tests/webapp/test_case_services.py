"""Case services on a real database: every verb and its refusals, with the case unchanged."""

from __future__ import annotations

import pytest

from tests import factories
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, CaseTimer, HumanTask, TaskState
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db

ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7},
                                                               {"name": "Ben", "age": 9}]}


@pytest.fixture
def hrt():
    return factories.force()


@pytest.fixture
def officer(hrt):
    return factories.officer("officer", hrt, "case_officer")


@pytest.fixture
def dm(hrt):
    return factories.officer("dm", hrt, "decision_maker")


def _started(officer) -> tuple[Case, HumanTask]:
    case = services.case_start(user=officer, data=ENTER)
    return case, case.tasks.get(state=TaskState.READY)


def _snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    tasks = list(case.tasks.order_by("pk").values_list("state", "assignee_id"))
    return case.state, case.status, case.stage, tasks, case.events.count()


def test_case_start_completes_the_intake_and_offers_the_next_task(officer):
    case = services.case_start(user=officer, data=ENTER)
    assert case.reference == f"HRT-{case.opened_at.year}-000001"
    assert case.parties == {"children": ["Amy", "Ben"]}
    task = case.tasks.get()
    assert (task.bpmn_id, task.lane, task.role, task.state) == (
        "ut_approve", "Decision maker", "decision_maker", TaskState.READY)
    assert list(case.events.values_list("kind", flat=True)) == ["started"]
    # The mini process has no BPMN timer now; its overall clock declares no breach timer, so
    # the product gives both the warning and the breach alert itself.
    assert sorted(CaseTimer.objects.filter(case=case).values_list("kind", "clock")) == [
        ("breach", "overall"), ("warning", "overall")]
    assert case.next_due_at == CaseTimer.objects.get(case=case, kind="warning").due_at
    assert len(case.state) < 8 * 1024


def test_references_are_sequential_per_force(officer):
    first = services.case_start(user=officer, data=ENTER)
    second = services.case_start(user=officer, data=ENTER)
    assert second.reference.endswith("000002") and first.reference.endswith("000001")


def test_references_start_again_each_year_and_a_refused_start_uses_none(officer):
    import time_machine

    with time_machine.travel("2025-12-31 23:00:00+00:00", tick=False):
        assert services.case_start(user=officer, data=ENTER).reference == "HRT-2025-000001"
        with pytest.raises(ServiceError):
            services.case_start(user=officer, data={"concern": "", "children": []})
        assert services.case_start(user=officer, data=ENTER).reference == "HRT-2025-000002"
    with time_machine.travel("2026-01-01 09:00:00+00:00", tick=False):
        assert services.case_start(user=officer, data=ENTER).reference == "HRT-2026-000001"
        assert services.case_start(user=officer, data=ENTER).reference == "HRT-2026-000002"


def test_case_start_with_invalid_data_is_refused_and_creates_nothing(officer):
    with pytest.raises(ServiceError) as caught:
        services.case_start(user=officer, data={"concern": "", "children": []})
    assert caught.value.http_status == 400
    assert set(caught.value.field_errors) == {"concern", "children"}
    assert Case.objects.count() == 0


def test_case_start_by_a_role_outside_the_intake_lane_is_forbidden(dm):
    with pytest.raises(ServiceError) as caught:
        services.case_start(user=dm, data=ENTER)
    assert caught.value.http_status == 403
    assert Case.objects.count() == 0


def test_claim_complete_closes_the_case_with_its_outcome(officer, dm):
    case, task = _started(officer)
    services.task_claim(user=dm, task_id=task.pk)
    services.task_complete(user=dm, task_id=task.pk, data={"approved": True})
    case.refresh_from_db()
    task.refresh_from_db()
    assert (case.status, case.outcome_codes, case.stage) == ("closed", ["Approved"], "Closed")
    assert case.closed_at is not None
    assert (task.state, task.completed_by) == (TaskState.COMPLETED, dm)
    assert list(case.events.values_list("kind", flat=True)) == [
        "started", "claimed", "completed", "closed"]


def test_other_force_sees_not_found(officer):
    _, task = _started(officer)
    wmp = factories.force("WAR", "Warwickshire")
    outsider = factories.officer("outsider", wmp, "decision_maker")
    for call in (lambda: services.task_claim(user=outsider, task_id=task.pk),
                 lambda: services.task_complete(user=outsider, task_id=task.pk,
                                                data={"approved": True})):
        with pytest.raises(ServiceError) as caught:
            call()
        assert caught.value.http_status == 404


@pytest.mark.parametrize("task_id", [10**40, -(10**40), 2**63])
def test_task_ids_beyond_64_bits_are_not_found(officer, task_id):
    _started(officer)
    for call in (lambda: services.task_claim(user=officer, task_id=task_id),
                 lambda: services.task_release(user=officer, task_id=task_id),
                 lambda: services.task_complete(user=officer, task_id=task_id, data={})):
        with pytest.raises(ServiceError) as caught:
            call()
        assert caught.value.http_status == 404


def test_wrong_role_is_forbidden_and_changes_nothing(officer):
    case, task = _started(officer)
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        services.task_complete(user=officer, task_id=task.pk, data={"approved": True})
    assert caught.value.http_status == 403
    assert _snapshot(case) == before


def test_task_not_ready_is_a_conflict(officer, dm):
    case, task = _started(officer)
    services.task_complete(user=dm, task_id=task.pk, data={"approved": False})
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        services.task_complete(user=dm, task_id=task.pk, data={"approved": True})
    assert caught.value.http_status == 409
    assert "already completed by dm" in caught.value.message
    assert _snapshot(case) == before


def test_invalid_form_data_is_400_with_field_errors_and_changes_nothing(officer, dm):
    case, task = _started(officer)
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        services.task_complete(user=dm, task_id=task.pk, data={"approved": "maybe"})
    assert caught.value.http_status == 400
    assert "approved" in caught.value.field_errors
    assert _snapshot(case) == before


def test_claimed_task_cannot_be_taken_or_completed_by_a_colleague(officer, dm, hrt):
    _, task = _started(officer)
    other = factories.officer("dm2", hrt, "decision_maker")
    services.task_claim(user=dm, task_id=task.pk)
    for call in (lambda: services.task_claim(user=other, task_id=task.pk),
                 lambda: services.task_complete(user=other, task_id=task.pk,
                                                data={"approved": True})):
        with pytest.raises(ServiceError) as caught:
            call()
        assert caught.value.http_status == 409


def test_release_returns_the_task_to_the_queue(officer, dm):
    _, task = _started(officer)
    services.task_claim(user=dm, task_id=task.pk)
    services.task_release(user=dm, task_id=task.pk)
    task.refresh_from_db()
    assert task.assignee is None


def test_decision_maker_assigns_within_the_team_to_someone_who_may_work_the_lane(officer, dm, hrt):
    _, task = _started(officer)
    colleague = factories.officer("dm2", hrt, "decision_maker")
    services.task_assign(user=dm, task_id=task.pk, assignee_id=colleague.pk)
    task.refresh_from_db()
    assert task.assignee == colleague
    with pytest.raises(ServiceError) as caught:
        services.task_assign(user=dm, task_id=task.pk, assignee_id=officer.pk)
    assert caught.value.http_status == 403  # a case officer may not work the decision lane
    other_team = factories.officer("dm3", hrt, "decision_maker",
                                   team_obj=factories.team(hrt, "Elsewhere"))
    with pytest.raises(ServiceError):
        services.task_assign(user=dm, task_id=task.pk, assignee_id=other_team.pk)


def test_only_decision_makers_assign(officer):
    _, task = _started(officer)
    with pytest.raises(ServiceError) as caught:
        services.task_assign(user=officer, task_id=task.pk, assignee_id=officer.pk)
    assert caught.value.http_status == 403


def test_draft_keeps_unfinished_input_without_running_anything(officer, dm):
    case, task = _started(officer)
    services.task_save_draft(user=dm, task_id=task.pk, data={"rationale": "half-way"})
    task.refresh_from_db()
    assert task.draft == {"rationale": "half-way"}
    assert task.assignee == dm and task.state == TaskState.READY
    assert CaseEvent.objects.filter(case=case, kind="draft").count() == 1


def test_withdrawal_closes_the_case_and_needs_a_reason(officer):
    case, task = _started(officer)
    with pytest.raises(ServiceError) as caught:
        services.case_withdraw(user=officer, reference=case.reference, reason=" ")
    assert caught.value.http_status == 400
    services.case_withdraw(user=officer, reference=case.reference, reason="moved away")
    case.refresh_from_db()
    task.refresh_from_db()
    assert (case.status, case.outcome_codes) == ("closed", ["Withdrawn"])
    assert task.state == TaskState.CANCELLED
    with pytest.raises(ServiceError) as caught:
        services.case_withdraw(user=officer, reference=case.reference, reason="again")
    assert caught.value.http_status == 409
