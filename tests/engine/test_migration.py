"""Running CSODS cases move to a new version only when nothing that changed has run in them;
a case that moves keeps its open task ids and timer due times and runs on in the new version."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from engine import Definition, EngineError, ProcessInstance, load_files, load_folder
from engine.migration import assess, assess_state, migrate
from engine.simulation import save_and_reload
from tests.engine.test_diff import (
    csods_files,
    edit,
    load,
    with_checks_v2,
    with_renamed_decision,
    with_second_opinion,
    with_wider_disclose_condition,
    without_no_disclosure_task,
)
from tests.processes.test_csods_scenarios import NATIONAL, NO_DISCLOSURE, SAMPLES, T0, answers, run

FIXTURES = Path(__file__).parent / "fixtures"
DECIDED = "'Decide on disclosure' (ut_decision) changed and has already been completed"


@pytest.fixture(scope="module")
def csods() -> Definition:
    return load(csods_files())


@pytest.fixture(scope="module")
def second_opinion() -> Definition:
    return load(with_second_opinion(csods_files()))


@pytest.fixture(params=["in_memory", "reloaded"])
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def case_at(definition: Definition, task: str, how: str = "in_memory", *,
            the_answers=None) -> ProcessInstance:
    """A case driven with sample data until ``task`` is offered; ``reloaded`` goes through
    stored state (where finished stages are pruned to ``history``)."""
    instance, _ = run(definition, "straight", the_answers or answers(), stop_at=(task,))
    assert task in {t.bpmn_id for t in instance.human_tasks()}
    return save_and_reload(instance) if how == "reloaded" else instance


def snapshot(instance: ProcessInstance) -> tuple[dict[str, str], list[tuple[str, object]]]:
    return ({t.bpmn_id: t.task_id for t in instance.human_tasks()},
            [(t.bpmn_id, t.due_at) for t in instance.timers()])


def with_second_opinion_answer() -> dict:
    return {**answers(), "ut_second_opinion": SAMPLES["breach_review"]}


def test_a_case_before_the_changed_stage_moves_keeping_task_ids_timers_and_data(
        csods, second_opinion, how):
    with time_machine.travel(T0, tick=False) as clock:
        # given: a case at the interview, one of its clocks moved by hand
        instance = case_at(csods, "ut_verification_interview", how)
        instance.set_timer_due("bt_interview_overdue", T0 + timedelta(days=12))
        before, data = snapshot(instance), instance.data()
        clock.shift(timedelta(hours=3))
        # when
        verdict = assess(instance, second_opinion)
        moved = migrate(instance, second_opinion)
        # then: the same open task, the same due times, the same data
        assert verdict.can_move and verdict.reasons == ()
        assert set(verdict.changed_ids) == {"ut_decision", "gw_decision_recorded"}
        assert snapshot(moved) == before
        assert dict(snapshot(moved)[1])["bt_interview_overdue"] == T0 + timedelta(days=12)
        assert moved.data() == data
        assert moved.definition is second_opinion
        # and the stored state names the new version
        moved = ProcessInstance.load(second_opinion, moved.dump())
        assert snapshot(moved) == before
        with pytest.raises(EngineError) as raised:
            ProcessInstance.load(csods, moved.dump())
        assert raised.value.code == "wrong_definition"
        # and it runs to the end through the new task
        moved, steps = run(second_opinion, "save_restore", with_second_opinion_answer(),
                           instance=moved)
    assert steps[steps.index("ut_decision") + 1] == "ut_second_opinion"
    assert moved.status().status == "completed"
    assert moved.status().outcome_codes == ("DisclosureChildSexualOffence",
                                            "SafeguardingReferral")


def test_the_instance_given_to_migrate_is_left_on_its_version(csods, second_opinion):
    instance = case_at(csods, "ut_verification_interview")
    migrate(instance, second_opinion)
    assert instance.definition is csods
    assert ProcessInstance.load(csods, instance.dump()).human_tasks() == instance.human_tasks()


def test_a_case_waiting_at_the_changed_task_moves_and_then_takes_the_new_task(
        csods, second_opinion, how):
    instance = case_at(csods, "ut_decision", how)
    before = snapshot(instance)
    moved = migrate(instance, second_opinion)
    assert snapshot(moved) == before
    moved, steps = run(second_opinion, "straight", with_second_opinion_answer(), instance=moved)
    assert steps == ["ut_decision", "ut_second_opinion", "ut_plan_disclosure",
                     "ut_deliver_disclosure"]
    assert moved.status().status == "completed"


def test_open_tasks_in_the_top_process_and_in_a_stage_both_keep_their_ids(csods, second_opinion):
    with time_machine.travel(T0, tick=False) as clock:
        instance = case_at(csods, "ut_initial_checks")
        clock.shift(timedelta(hours=25))
        instance.fire_due_timers()
        before = snapshot(instance)
        assert set(before[0]) == {"ut_initial_checks", "ut_review_initial_breach"}
        moved = migrate(instance, second_opinion)
        assert snapshot(moved) == before


def test_a_case_past_the_changed_task_cannot_move_and_names_it(csods, second_opinion, how):
    # given: the decision was made with the old stage 4 (pruned to history once stored)
    instance = case_at(csods, "ut_plan_disclosure", how)
    verdict = assess(instance, second_opinion)
    assert not verdict.can_move
    assert DECIDED in verdict.reasons
    assert "ut_decision" in verdict.blocking_ids
    with pytest.raises(EngineError) as raised:
        migrate(instance, second_opinion)
    assert raised.value.code == "cannot_migrate"
    assert DECIDED in raised.value.message
    assert DECIDED in raised.value.details["reasons"]


def test_a_renamed_task_already_completed_blocks_but_one_still_open_does_not(csods):
    renamed = load(with_renamed_decision(csods_files()))
    assert assess(case_at(csods, "ut_decision"), renamed).can_move
    moved = migrate(case_at(csods, "ut_decision"), renamed)
    assert moved.human_tasks()[0].name == "Decide whether to disclose"
    assert not assess(case_at(csods, "ut_plan_disclosure", "reloaded"), renamed).can_move


def test_a_changed_active_call_activity_blocks_the_move(csods):
    checks_v2 = load(with_checks_v2(csods_files()))
    verdict = assess(case_at(csods, "ut_police_checks"), checks_v2)
    assert not verdict.can_move
    assert verdict.reasons == ("the active stage '3. Full checks and risk assessment' "
                               "(ca_checks) changed its called process",)
    assert assess(case_at(csods, "ut_verification_interview"), checks_v2).can_move


def test_a_condition_changed_in_a_later_stage_blocks_only_cases_past_it(csods):
    wider = load(with_wider_disclose_condition(csods_files()))
    early = case_at(csods, "ut_verification_interview")
    assert assess(early, wider).can_move
    assert migrate(early, wider).human_tasks() == early.human_tasks()
    late = assess(case_at(csods, "ut_deliver_disclosure"), wider)
    assert late.reasons == ("'Disclose?' (gw_disclose) changed and has already been completed",)


def test_removing_the_task_a_case_waits_at_blocks_the_move(csods):
    removed = load(without_no_disclosure_task(csods_files()))
    no_disclosure = answers(ut_decision=NO_DISCLOSURE)
    verdict = assess(case_at(csods, "ut_no_disclosure_outcome", the_answers=no_disclosure),
                     removed)
    assert ("'Inform the applicant and record as intelligence' (ut_no_disclosure_outcome) is "
            "open in the case but the new version removes it") in verdict.reasons
    assert assess(case_at(csods, "ut_decision"), removed).can_move


def test_a_changed_timer_moves_but_restarts_and_says_so(csods):
    files = edit(csods_files(), (
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">limit_overall</bpmn:timeDuration>',
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P60D"</bpmn:timeDuration>'))
    # a fixed 60 days no longer waits for the overall clock's limit: the clock stops naming it
    declaration = files["scheme.json"].decode()
    assert declaration.count('"breach_timer": "start_overall_limit"') == 1
    longer = load({**files, "scheme.json": declaration.replace(
        '"breach_timer": "start_overall_limit"', '"breach_timer": null').encode()})
    with time_machine.travel(T0, tick=False) as clock:
        instance = case_at(csods, "ut_verification_interview")
        clock.shift(timedelta(days=1))
        verdict = assess(instance, longer)
        moved = migrate(instance, longer)
    assert verdict.can_move
    assert verdict.notes == ("the timer 'Overall limit passed' (start_overall_limit) changed: "
                             "it restarts when the case moves",)
    due = {t.bpmn_id: t.due_at for t in moved.timers()}
    assert due["start_overall_limit"] == T0 + timedelta(days=61)
    assert due["bt_interview_overdue"] == dict(snapshot(instance)[1])["bt_interview_overdue"]


def test_the_same_version_cannot_move(csods):
    verdict = assess(case_at(csods, "ut_decision"), csods)
    assert not verdict.can_move
    assert verdict.reasons == ("the case is already on this version",)
    with pytest.raises(EngineError) as raised:
        migrate(case_at(csods, "ut_decision"), csods)
    assert raised.value.code == "cannot_migrate"


def test_another_process_cannot_be_a_target(csods):
    mini = load_folder(FIXTURES / "mini")
    verdict = assess(case_at(csods, "ut_decision"), mini)
    assert verdict.reasons == ("the new version's top-level process is 'mini', not 'csods'",)


def test_a_finished_case_cannot_move(csods, second_opinion):
    instance, _ = run(csods, "straight", answers(ut_decision=NO_DISCLOSURE))
    verdict = assess(instance, second_opinion)
    assert verdict.reasons[0] == "the case has already finished"


def test_a_changed_multi_instance_task_blocks_a_case_inside_it():
    multi = load_folder(FIXTURES / "multi")
    text = multi.files["multi.bpmn"].decode().replace('name="Review"', 'name="Review the case"')
    renamed = load_files({**multi.files, "multi.bpmn": text.encode()}, "multi")
    instance = ProcessInstance.start(multi, {"reviewers": ["Ann", "Bob"]})
    verdict = assess(instance, renamed)
    assert verdict.reasons == ("'Review' (ut_review) is a multi-instance or loop task that "
                               "changed while the case is in it: that is not supported",)


@pytest.mark.parametrize("task", ["ut_record_enquiry", "ut_verification_interview",
                                  "ut_risk_assessment", "ut_decision", "ut_plan_disclosure"])
def test_assessing_stored_state_agrees_with_assessing_the_instance(csods, second_opinion, task):
    instance = case_at(csods, task)
    expected = assess(instance, second_opinion)
    assert assess(save_and_reload(instance), second_opinion) == expected
    assert assess_state(instance.dump(), csods, second_opinion) == expected
    assert assess_state(instance.dump_json(), csods, second_opinion) == expected


def test_assessing_state_of_another_version_is_refused(csods, second_opinion):
    state = ProcessInstance.start(second_opinion, NATIONAL).dump()
    with pytest.raises(EngineError) as raised:
        assess_state(state, csods, second_opinion)
    assert raised.value.code == "wrong_definition"


def test_assessing_unreadable_state_is_refused(csods, second_opinion):
    with pytest.raises(EngineError) as raised:
        assess_state(b"not a case", csods, second_opinion)
    assert raised.value.code == "corrupt_state"
