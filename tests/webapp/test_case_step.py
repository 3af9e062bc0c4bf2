"""One case step: every verb writes exactly one access-log entry for its case, in the same
transaction as its change; a refused verb writes none and changes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction

from tests import factories
from webapp.audit.models import AccessLog
from webapp.cases import clock_services, services
from webapp.cases.case_step import case_step, lock_case
from webapp.cases.models import Case, CaseEvent, HumanTask, Incident, TaskState
from webapp.cases.step_incidents import incident_retry
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import ClockAlert, ExtensionRequest
from webapp.errors import ServiceError
from webapp.processes.registry import scheme_for

pytestmark = pytest.mark.django_db

ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7}]}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def hrt():
    return factories.force()


@pytest.fixture
def people(hrt):
    return {"officer": factories.officer("officer", hrt, "case_officer"),
            "dm": factories.officer("dm", hrt, "decision_maker"),
            "dm2": factories.officer("dm2", hrt, "decision_maker")}


def _started(people) -> tuple[Case, HumanTask]:
    case = services.case_start(user=people["officer"], data=ENTER)
    return case, case.tasks.get(state=TaskState.READY)


def _entries(case: Case) -> list[tuple[str, str, str]]:
    return list(AccessLog.objects.filter(object_type="case", object_id=case.reference)
                .order_by("pk").values_list("actor_username", "operation", "justification"))


def _new_entries(case: Case, before: int) -> list[tuple[str, str, str]]:
    return _entries(case)[before:]


def _snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    tasks = list(case.tasks.order_by("pk").values_list("state", "assignee_id", "draft"))
    return case.state, case.status, tasks, case.events.count(), len(_entries(case))


def test_case_start_logs_one_collection(people):
    case, _ = _started(people)
    assert _entries(case) == [("officer", "collect", "case recorded under Mini scheme")]


def test_claim_logs_one_alteration_with_the_task_name(people):
    case, task = _started(people)
    before = len(_entries(case))
    services.task_claim(user=people["dm"], task_id=task.pk)
    assert _new_entries(case, before) == [("dm", "alter", f"task claimed: {task.name}")]


def test_claiming_a_task_someone_else_holds_writes_nothing(people):
    case, task = _started(people)
    services.task_claim(user=people["dm"], task_id=task.pk)
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        services.task_claim(user=people["dm2"], task_id=task.pk)
    assert caught.value.code == "conflict"
    assert _snapshot(case) == before


def test_release_and_assign_log_one_alteration_each(people):
    case, task = _started(people)
    services.task_claim(user=people["dm"], task_id=task.pk)
    before = len(_entries(case))
    services.task_release(user=people["dm"], task_id=task.pk)
    services.task_assign(user=people["dm"], task_id=task.pk, assignee_id=people["dm2"].pk)
    assert _new_entries(case, before) == [
        ("dm", "alter", f"task released: {task.name}"),
        ("dm", "alter", f"task assigned: {task.name}, to dm2")]


def test_a_refused_assignment_writes_nothing(people):
    case, task = _started(people)
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        services.task_assign(user=people["dm"], task_id=task.pk,
                             assignee_id=people["officer"].pk)
    assert caught.value.code == "forbidden"
    assert _snapshot(case) == before


def test_draft_save_logs_one_alteration_with_the_fields(people):
    case, task = _started(people)
    before = len(_entries(case))
    services.task_save_draft(user=people["dm"], task_id=task.pk, data={"approved": True})
    assert _new_entries(case, before) == [("dm", "alter", f"task draft saved: {task.name}")]
    entry = AccessLog.objects.filter(object_id=case.reference).latest("pk")
    assert entry.fields == ["approved"]


def test_completion_logs_one_entry(people):
    case, task = _started(people)
    before = len(_entries(case))
    services.task_complete(user=people["dm"], task_id=task.pk, data={"approved": True})
    operation = scheme_for(case.version_id).s62_operation(task.bpmn_id)
    assert _new_entries(case, before) == [("dm", operation, f"task: {task.name}")]


def test_withdraw_logs_one_alteration(people):
    case, _ = _started(people)
    before = len(_entries(case))
    services.case_withdraw(user=people["officer"], reference=case.reference, reason="moved")
    assert _new_entries(case, before) == [("officer", "alter", "Applicant withdrew")]


def test_pause_resume_extension_log_one_alteration_each(people):
    case, _ = _started(people)
    before = len(_entries(case))
    clock_services.clock_pause(user=people["officer"], reference=case.reference,
                               clock="overall", reason="awaiting the applicant")
    clock_services.clock_resume(user=people["officer"], reference=case.reference,
                                clock="overall")
    request = clock_services.extension_request(user=people["officer"],
                                               reference=case.reference, clock="overall",
                                               duration="P7D", reason="interpreter needed")
    clock_services.extension_decide(user=people["dm"], request_id=request.pk, approve=True)
    assert _new_entries(case, before) == [
        ("officer", "alter", "Overall response clock paused"),
        ("officer", "alter", "Overall response clock resumed"),
        ("officer", "alter", "extension of 7 days to the overall response clock requested"),
        ("dm", "alter", "Overall response clock extended by 7 days")]


def test_a_refused_extension_decision_writes_nothing(people):
    case, _ = _started(people)
    request = clock_services.extension_request(user=people["dm"], reference=case.reference,
                                               clock="overall", duration="P7D",
                                               reason="interpreter needed")
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:  # one's own request: another must approve
        clock_services.extension_decide(user=people["dm"], request_id=request.pk, approve=True)
    assert caught.value.code == "forbidden"
    assert _snapshot(case) == before
    assert ExtensionRequest.objects.get(pk=request.pk).approved is None


def test_a_pause_by_a_role_that_may_not_writes_nothing(people, hrt):
    case, _ = _started(people)
    auditor = factories.officer("auditor", hrt, "auditor")
    before = _snapshot(case)
    with pytest.raises(ServiceError) as caught:
        clock_services.clock_pause(user=auditor, reference=case.reference, clock="overall",
                                   reason="no")
    assert caught.value.code == "forbidden"
    assert _snapshot(case) == before


def test_alert_acknowledgement_logs_one_alteration(people):
    with time_machine.travel(T0, tick=False) as clock:
        case, _ = _started(people)
        clock.shift(timedelta(days=40))
        timers_sweep()
        alert = ClockAlert.objects.filter(case=case).first()
        assert alert is not None
        before = len(_entries(case))
        clock_services.alert_acknowledge(user=people["dm"], alert_id=alert.pk)
    assert _new_entries(case, before) == [
        ("dm", "alter",
         f"{alert.get_kind_display().lower()} alert acknowledged: overall response clock")]


def test_a_timer_sweep_logs_one_alteration_by_the_system_in_the_cases_force(people, hrt):
    with time_machine.travel(T0, tick=False) as clock:
        case, _ = _started(people)
        before = len(_entries(case))
        clock.shift(timedelta(days=40))
        assert timers_sweep() == 1  # the overall clock's warning
        assert _new_entries(case, before) == [
            ("system", "alter", "time limit reached: 1 timer(s) or warning(s) fired")]
        entry = AccessLog.objects.filter(object_id=case.reference).latest("pk")
        assert entry.force_code == hrt.code  # the force's auditors see it on their page
        timers_sweep()  # nothing more is due: no further entry
        assert len(_entries(case)) == before + 1


def test_incident_retry_logs_one_alteration(people, hrt):
    case, _ = _started(people)
    Incident.objects.create(case=case, force=hrt, kind="timer", attempts=3, message="broken",
                            opened_at=T0)
    Case.objects.filter(pk=case.pk).update(status="error")
    before = len(_entries(case))
    with pytest.raises(ServiceError):
        incident_retry(user=people["officer"], incident_id=Incident.objects.get().pk)
    assert len(_entries(case)) == before
    incident_retry(user=people["dm"], incident_id=Incident.objects.get().pk)
    assert _new_entries(case, before) == [("dm", "alter", "case retried after an incident")]


def test_a_step_that_fails_after_queuing_its_entry_keeps_neither_change_nor_entry(people):
    case, _ = _started(people)
    before = _snapshot(case)
    with pytest.raises(RuntimeError), case_step(
            user=people["dm"], lock=lambda: lock_case(pk=case.pk)) as step:
        step.event("clock", detail="a change")
        step.access("alter", "a change")
        raise RuntimeError("the step failed")
    assert _snapshot(case) == before


def test_a_step_is_its_own_durable_transaction(people):
    case, _ = _started(people)
    with pytest.raises(RuntimeError), transaction.atomic(), case_step(
            user=people["dm"], lock=lambda: lock_case(pk=case.pk)):
        pass  # pragma: no cover - refused before the body runs
    assert CaseEvent.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks need PostgreSQL (CI runs this on it)")
def test_a_clock_pause_locks_the_case_row_and_not_the_force_row(people, hrt):
    case, _ = _started(people)
    outcome: list[object] = []

    def pause() -> None:
        try:
            clock_services.clock_pause(user=people["officer"], reference=case.reference,
                                       clock="overall", reason="awaiting the applicant")
            outcome.append("paused")
        except ServiceError as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    # given another transaction holding the force row (and the profile rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM forces_force WHERE id = %s FOR UPDATE", [hrt.pk])
        cursor.execute("SELECT id FROM forces_timelimitprofile FOR UPDATE")
        # when an officer pauses a clock on one of its cases
        worker = threading.Thread(target=pause)
        worker.start()
        worker.join(timeout=30)
        # then the pause took the case lock only and did not wait for the force
        finished = not worker.is_alive()
    worker.join(timeout=60)
    assert finished
    assert outcome == ["paused"]
