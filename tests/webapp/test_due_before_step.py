"""Every service that steps a case first fires what has already fallen due (the sweep may lag
or the worker may be down): a stage completed after its timer fell due still escalates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from webapp.cases import services
from webapp.cases.clock_services import clock_pause
from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import ClockAlert

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)
BREACH_REVIEW = "ut_review_initial_breach"


@pytest.fixture
def people():
    return factories.csods_officers("contact_handler", "case_officer", "decision_maker")


def _start(people) -> Case:
    return services.case_start(user=people["contact_handler"],
                               data=factories.sample("enquiry"))


def _task(case: Case, bpmn_id: str, **filters) -> HumanTask:
    return case.tasks.get(bpmn_id=bpmn_id, **filters)


def test_completing_initial_checks_after_the_unswept_24h_timer_fell_due_escalates_the_breach(
        people):
    with time_machine.travel(T0, tick=False) as clock:
        # given: a case whose 24-hour timer fell due 5 minutes ago, and no sweep has run
        case = _start(people)
        clock.shift(timedelta(hours=24, minutes=5))
        # when: the officer completes the initial checks
        services.task_complete(user=people["case_officer"],
                               task_id=_task(case, "ut_initial_checks").pk,
                               data=factories.sample("initial_checks"))
        # then: the breach review waits for the decision maker, and the sweep fires nothing twice
        review = _task(case, BREACH_REVIEW)
        assert review.state == TaskState.READY and review.role == "decision_maker"
        assert CaseEvent.objects.filter(case=case, kind="timer",
                                        bpmn_id="bt_initial_overdue").count() == 1
        assert timers_sweep() == 0
    assert _task(case, "ut_initial_checks").state == TaskState.COMPLETED


def test_completing_a_stage_after_its_unswept_warning_fell_due_still_gives_the_warning(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        clock.shift(timedelta(hours=23))  # past the 75 % warning, before the limit
        services.task_complete(user=people["case_officer"],
                               task_id=_task(case, "ut_initial_checks").pk,
                               data=factories.sample("initial_checks"))
    assert ClockAlert.objects.filter(case=case, clock="initial", kind="warning").count() == 1
    assert not case.tasks.filter(bpmn_id=BREACH_REVIEW).exists()


def test_pausing_a_clock_after_its_unswept_timer_fell_due_still_escalates_the_breach(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        clock.shift(timedelta(hours=24, minutes=5))
        clock_pause(user=people["case_officer"], reference=case.reference, clock="initial",
                    reason="Awaiting the applicant's call back")
    assert _task(case, BREACH_REVIEW).state == TaskState.READY
