"""A task step reads its rows with the case lock (one round trip on PostgreSQL): what it reads
must still be what the lock's previous holder committed, and a claim of a task one holds
already changes nothing."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests import factories
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, CaseTimer, HumanTask, TaskState
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return {role: factories.officer(role, hrt, role) for role in
            ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")}


def _ready(case: Case) -> dict[str, HumanTask]:
    return {t.bpmn_id: t for t in case.tasks.filter(state=TaskState.READY)}


def _timer_rows(case: Case) -> list[tuple]:
    return sorted((t.kind, t.clock, str(t.engine_task_id), t.bpmn_id, t.due_at)
                  for t in CaseTimer.objects.filter(case=case))


def test_claiming_a_task_one_holds_changes_nothing(people):
    officer = people["case_officer"]
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    task = _ready(case)["ut_initial_checks"]
    services.task_claim(user=officer, task_id=task.pk)
    events = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    again = services.task_claim(user=officer, task_id=task.pk)
    assert again.pk == task.pk and again.assignee_id == officer.pk
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == events
    # another officer's claim of it is still refused, and names who holds it
    other = factories.officer("other_officer", task.case.force, "case_officer")
    with pytest.raises(ServiceError, match="already claimed by"):
        services.task_claim(user=other, task_id=task.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks need PostgreSQL (CI runs this on it)")
def test_a_step_that_waited_for_the_lock_reads_what_its_holder_committed(people):
    officer = people["case_officer"]
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    task = _ready(case)["ut_initial_checks"]
    services.task_claim(user=officer, task_id=task.pk)
    outcome: list[object] = []

    def complete() -> None:
        try:
            outcome.append(services.task_complete(user=officer, task_id=task.pk,
                                                  data=factories.sample("initial_checks")))
        except ServiceError as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    # given another transaction holding the case lock, which removes the case's timer rows
    with transaction.atomic():
        list(Case.objects.select_for_update().filter(pk=case.pk))
        CaseTimer.objects.filter(case=case).delete()
        worker = threading.Thread(target=complete)
        worker.start()
        time.sleep(0.5)  # the step waits for the lock meanwhile
    worker.join(timeout=60)
    # then the step read the timer rows as the holder left them (none), so the case's timer
    # rows are the engine's waiting timers, not the rows it would have read before the lock
    assert isinstance(outcome[0], Case)
    stepped = Case.objects.get(pk=case.pk)
    from engine import ProcessInstance
    from webapp.processes.registry import definition_for_id
    instance = ProcessInstance.load(definition_for_id(stepped.version_id), stepped.state)
    process = sorted(str(t.task_id) for t in instance.timers() if t.due_at.year < 9999)
    assert process and [row[2] for row in _timer_rows(stepped) if row[0] == "process"] == process
