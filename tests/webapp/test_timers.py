"""Timers and clocks through the sweep, with time travelled (never slept through)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from webapp.cases import services
from webapp.cases.clock_services import (
    clock_pause,
    clock_resume,
    extension_decide,
    extension_request,
)
from webapp.cases.models import Case, CaseEvent, HumanTask, Incident, TaskState
from webapp.cases.step_incidents import incident_retry
from webapp.cases.timers import MAX_FAILURES, timers_sweep
from webapp.clocks.arithmetic import add_limit
from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent
from webapp.clocks.sync import snapshot
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # Friday before the clocks go forward


@pytest.fixture
def hrt():
    return factories.force(process=factories.version("csods", factories.CSODS))


@pytest.fixture
def people(hrt):
    return {role: factories.officer(role, hrt, role) for role in
            ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")}


def _start(people) -> Case:
    return services.case_start(user=people["contact_handler"],
                               data=factories.sample("enquiry"))


def _ready(case: Case) -> dict[str, HumanTask]:
    return {t.bpmn_id: t for t in case.tasks.filter(state=TaskState.READY)}


def test_the_24h_breach_escalates_to_the_decision_maker_and_the_check_stays_open(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        initial = CaseClock.objects.get(case=case, clock="initial")
        assert initial.due_at == T0 + timedelta(hours=24)
        clock.shift(timedelta(hours=23, minutes=59))
        assert timers_sweep() == 1  # the 75% warning only
        assert set(_ready(case)) == {"ut_initial_checks"}
        clock.shift(timedelta(minutes=2))
        assert timers_sweep() == 1
        assert timers_sweep() == 0  # nothing fires twice
    ready = _ready(case)
    assert set(ready) == {"ut_initial_checks", "ut_review_initial_breach"}
    assert ready["ut_review_initial_breach"].role == "decision_maker"
    assert CaseEvent.objects.filter(case=case, kind="timer").count() == 1
    assert ClockAlert.objects.filter(case=case, clock="initial", kind="warning").count() == 1
    initial.refresh_from_db()
    assert initial.state == "breached"


def test_a_case_closed_in_time_shows_met(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        clock.shift(timedelta(hours=3))
        task = _ready(case)["ut_initial_checks"]
        services.task_complete(user=people["case_officer"], task_id=task.pk,
                               data={**factories.sample("initial_checks"), "in_scope": False,
                                     "out_of_scope_reason": "other_scheme"})
        task = _ready(case)["ut_out_of_scope_advice"]
        services.task_complete(user=people["case_officer"], task_id=task.pk,
                               data=factories.sample("out_of_scope_advice"))
    clocks = {c.clock: c for c in CaseClock.objects.filter(case=case)}
    assert clocks["initial"].state == "met"
    assert clocks["overall"].state == "met"
    assert clocks["overall"].stopped_at == T0 + timedelta(hours=3)
    case.refresh_from_db()
    assert case.next_due_at is None and case.timers.count() == 0


def test_the_interview_limit_keeps_local_time_across_the_clock_change(people):
    with time_machine.travel(T0, tick=False):
        case = _start(people)
        task = _ready(case)["ut_initial_checks"]
        services.task_complete(user=people["case_officer"], task_id=task.pk,
                               data=factories.sample("initial_checks"))
    interview = CaseClock.objects.get(case=case, clock="interview")
    # 09:00 GMT on 27 March + 10 days = 09:00 BST on 6 April = 08:00 UTC.
    assert interview.due_at == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    timer = case.timers.get(bpmn_id="bt_interview_overdue")
    assert timer.due_at == interview.due_at


def test_sweeping_a_case_with_nothing_due_changes_nothing(people):
    with time_machine.travel(T0, tick=False):
        case = _start(people)
        before = (Case.objects.get(pk=case.pk).state, case.events.count())
        assert timers_sweep() == 0
    assert (Case.objects.get(pk=case.pk).state, case.events.count()) == before


def test_a_case_that_crashes_its_fire_is_parked_and_the_others_still_fire(people):
    """One defective case in a sweep batch must not hold back the cases claimed with it."""
    with time_machine.travel(T0, tick=False) as clock:
        broken = _start(people)
        healthy = [_start(people) for _ in range(3)]
        # A running clock row with no due time (a defect): firing this case raises TypeError
        # (its breach row has no due time to compare), not EngineError.
        CaseClock.objects.filter(case=broken, clock="initial").update(clock="assessment",
                                                                       due_at=None)
        clock.shift(timedelta(hours=30))
        for _ in range(MAX_FAILURES + 2):
            timers_sweep()
    broken.refresh_from_db()
    assert broken.status == "error" and Incident.objects.filter(case=broken).exists()
    for case in healthy:
        assert CaseEvent.objects.filter(case=case, kind="timer").exists()


def test_repeated_failures_open_an_incident_that_a_decision_maker_retries(people, hrt):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        Case.objects.filter(pk=case.pk).update(state=b"not a workflow")
        clock.shift(timedelta(hours=30))
        for _ in range(MAX_FAILURES + 2):
            timers_sweep()
    case.refresh_from_db()
    assert case.status == "error" and case.next_due_at is None
    incident = Incident.objects.get(case=case)
    assert incident.attempts == MAX_FAILURES
    with pytest.raises(ServiceError) as caught:
        incident_retry(user=people["case_officer"], incident_id=incident.pk)
    assert caught.value.http_status == 403
    retried = incident_retry(user=people["decision_maker"], incident_id=incident.pk)
    assert retried.status == "open" and retried.next_due_at is not None
    incident.refresh_from_db()
    assert incident.resolved_by == people["decision_maker"]


def test_pausing_for_three_days_moves_the_due_time_by_three_days(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        due = CaseClock.objects.get(case=case, clock="initial").due_at
        clock.shift(timedelta(hours=2))
        paused = clock_pause(user=people["case_officer"], reference=case.reference,
                             clock="initial", reason="Awaiting the applicant's call back")
        assert paused.state == "paused"
        clock.shift(timedelta(days=3))
        assert timers_sweep() == 0  # the escalation is parked while paused
        resumed = clock_resume(user=people["case_officer"], reference=case.reference,
                               clock="initial")
    assert resumed.due_at == due + timedelta(days=3)
    assert case.timers.get(bpmn_id="bt_initial_overdue").due_at == due + timedelta(days=3)
    assert "ut_review_initial_breach" not in _ready(case)


def test_pause_needs_a_reason_and_a_role(people):
    case = _start(people)
    with pytest.raises(ServiceError) as caught:
        clock_pause(user=people["case_officer"], reference=case.reference, clock="initial",
                    reason="  ")
    assert caught.value.http_status == 400
    with pytest.raises(ServiceError) as caught:
        clock_pause(user=people["contact_handler"], reference=case.reference, clock="initial",
                    reason="x")
    assert caught.value.http_status == 403


def test_an_extension_needs_a_decision_makers_approval_and_is_recorded(people):
    with time_machine.travel(T0, tick=False):
        case = _start(people)
        due = CaseClock.objects.get(case=case, clock="overall").due_at
        request = extension_request(user=people["case_officer"], reference=case.reference,
                                    clock="overall", duration="P14D",
                                    reason="Partner agency records delayed")
        assert CaseClock.objects.get(case=case, clock="overall").due_at == due
        with pytest.raises(ServiceError) as caught:
            extension_decide(user=people["case_officer"], request_id=request.pk, approve=True)
        assert caught.value.http_status == 403
        decided = extension_decide(user=people["decision_maker"], request_id=request.pk,
                                   approve=True)
    overall = CaseClock.objects.get(case=case, clock="overall")
    assert decided.approved and decided.decided_by == people["decision_maker"]
    assert overall.due_at == due + timedelta(days=14)
    assert overall.extensions == ["P14D"]
    assert case.timers.get(bpmn_id="start_overall_limit").due_at == overall.due_at
    assert CaseEvent.objects.filter(case=case, kind="clock",
                                    detail__contains="extended by 14 days").exists()


def test_every_clock_is_recomputable_from_its_events_alone(people):
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        clock.shift(timedelta(hours=5))
        clock_pause(user=people["case_officer"], reference=case.reference, clock="overall",
                    reason="Awaiting ID documents")
        clock.shift(timedelta(days=2))
        clock_resume(user=people["case_officer"], reference=case.reference, clock="overall")
        request = extension_request(user=people["case_officer"], reference=case.reference,
                                    clock="overall", duration="P7D", reason="Interpreter")
        extension_decide(user=people["decision_maker"], request_id=request.pk, approve=True)
        task = _ready(case)["ut_initial_checks"]
        services.task_complete(user=people["case_officer"], task_id=task.pk,
                               data=factories.sample("initial_checks"))
        now = datetime.now(UTC)
    stored = {c.clock: c for c in CaseClock.objects.filter(case=case)}
    assert set(stored) == {"initial", "interview", "overall"}
    for name, row in stored.items():
        rebuilt = snapshot(ClockEvent.objects.filter(case=case, clock=name), now, 0.75)
        assert (rebuilt.started_at, rebuilt.due_at, rebuilt.stopped_at, rebuilt.state,
                rebuilt.paused_seconds, rebuilt.extensions) == (
            row.started_at, row.due_at, row.stopped_at, row.state, row.paused_seconds,
            row.extensions), name


def _rows_match_their_events(case: Case, now: datetime) -> None:
    stored = {c.clock: c for c in CaseClock.objects.filter(case=case)}
    assert stored
    for name, row in stored.items():
        rebuilt = snapshot(ClockEvent.objects.filter(case=case, clock=name), now, 0.75)
        assert (rebuilt.due_at, rebuilt.stopped_at, rebuilt.state, rebuilt.paused_seconds,
                rebuilt.extensions) == (row.due_at, row.stopped_at, row.state,
                                        row.paused_seconds, row.extensions), name


def test_a_clock_stopped_while_paused_or_by_withdrawal_matches_its_events(people):
    """A stopping clock is settled from its row, not by re-reading its events: the row must be
    what its events give, for a clock stopped while paused, one stopped late and a withdrawal."""
    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        clock.shift(timedelta(hours=2))
        clock_pause(user=people["case_officer"], reference=case.reference, clock="initial",
                    reason="Awaiting the applicant's call back")
        clock.shift(timedelta(hours=30))  # past 24 hours, but paused
        services.task_complete(user=people["case_officer"],
                               task_id=_ready(case)["ut_initial_checks"].pk,
                               data=factories.sample("initial_checks"))
        clock.shift(timedelta(days=12))  # the 10-day interview limit passes
        services.case_withdraw(user=people["case_officer"], reference=case.reference,
                               reason="The applicant withdrew")
        now = datetime.now(UTC)
    states = dict(CaseClock.objects.filter(case=case).values_list("clock", "state"))
    assert states == {"initial": "met", "interview": "breached", "overall": "stopped"}
    _rows_match_their_events(case, now)


def test_leap_day_and_month_ends_do_not_shift_a_limit():
    feb29 = datetime(2028, 2, 29, 10, 0, tzinfo=UTC)
    assert add_limit(feb29, "P1Y") == datetime(2029, 2, 28, 10, 0, tzinfo=UTC)
    assert add_limit(feb29, "P1D") == datetime(2028, 3, 1, 10, 0, tzinfo=UTC)
    assert add_limit(datetime(2026, 1, 31, 9, tzinfo=UTC), "P1M") == datetime(
        2026, 2, 28, 9, tzinfo=UTC)
    # PT24H is elapsed time: across the autumn change it ends at a different wall-clock hour.
    assert add_limit(datetime(2026, 10, 24, 12, tzinfo=UTC), "PT24H") == datetime(
        2026, 10, 25, 12, tzinfo=UTC)
    assert add_limit(datetime(2026, 10, 24, 11, tzinfo=UTC), "P1D") == datetime(
        2026, 10, 25, 12, tzinfo=UTC)


def test_timer_rows_follow_the_engine_step_by_step_and_unchanged_rows_stay(people):
    """Timer rows are diffed, not rewritten: after every step the process timer rows are the
    engine's waiting timers, and a row whose timer did not change keeps its id."""
    from engine import ProcessInstance
    from webapp.processes.registry import definition_for_id

    def process_rows(case: Case) -> dict[str, tuple]:
        return {str(t.engine_task_id): (t.pk, t.due_at)
                for t in case.timers.filter(kind="process")}

    def engine_timers(case: Case) -> dict[str, datetime]:
        case.refresh_from_db()
        instance = ProcessInstance.load(definition_for_id(case.version_id), case.state)
        return {t.task_id: t.due_at for t in instance.timers() if t.due_at.year < 9999}

    with time_machine.travel(T0, tick=False) as clock:
        case = _start(people)
        before = process_rows(case)
        assert {k: due for k, (_, due) in before.items()} == engine_timers(case)
        for bpmn_id, form in (("ut_initial_checks", "initial_checks"),
                              ("ut_verification_interview", "verification_interview")):
            clock.shift(timedelta(hours=1))
            task = _ready(case)[bpmn_id]
            services.task_complete(user=people["case_officer"], task_id=task.pk,
                                   data=factories.sample(form))
            after = process_rows(case)
            assert {k: due for k, (_, due) in after.items()} == engine_timers(case)
            kept = {k for k in before.keys() & after.keys() if before[k][1] == after[k][1]}
            assert kept and all(before[k][0] == after[k][0] for k in kept)
            before = after
