"""The instance facade: tasks offered, guarded completion, timers, messages and saved state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine import EngineError, ProcessInstance, load_folder
from engine.info import HumanTaskInfo

from .conftest import ALL_LANES, FIXTURES

ENTER = {"concern": "He stays over most weekends", "children": [{"name": "Amy", "age": 7},
                                                                  {"name": "Ben", "age": 9}]}
T0 = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # the day before the clocks go forward


def _only_task(instance: ProcessInstance) -> HumanTaskInfo:
    (task,) = instance.human_tasks()
    return task


def test_start_offers_the_first_task_with_rendered_instructions(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    task = _only_task(instance)
    assert (task.bpmn_id, task.name, task.lane, task.form_key) == (
        "ut_enter", "Enter details", "Case officer", "enter")
    assert task.instructions == "Record the details for Ann Example within PT24H."
    assert instance.status().status == "running"


def test_completing_runs_scripts_and_routes_by_gateway(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    status = instance.complete_task(_only_task(instance).task_id, ENTER, lanes=ALL_LANES)
    assert [t.bpmn_id for t in status.human_tasks] == ["ut_approve"]
    status = instance.complete_task(status.human_tasks[0].task_id, {"approved": True},
                                    lanes={"Decision maker"})
    assert status.status == "completed"
    assert status.outcome_codes == ("Approved",)
    assert status.stage == "Closed"
    assert instance.data()["score"] == 20 + len(ENTER["concern"])


def test_low_score_takes_the_default_branch(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    status = instance.complete_task(_only_task(instance).task_id,
                                    {"concern": "x", "children": [{"name": "Cy", "age": 17}]},
                                    lanes=ALL_LANES)
    assert status.status == "completed"
    assert status.outcome_codes == ("NoDisclosure",)


def test_invalid_form_data_is_refused_with_field_errors_and_changes_nothing(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    before = instance.dump_json()
    task = _only_task(instance)
    bad = {"concern": "", "seen_on": "31/02/2026", "children": [{"name": "Amy", "age": 30}]}
    with pytest.raises(EngineError) as caught:
        instance.complete_task(task.task_id, bad, lanes=ALL_LANES)
    assert caught.value.code == "invalid_data"
    assert set(caught.value.field_errors) == {"concern", "seen_on", "children/0/age"}
    assert json.loads(instance.dump_json()) == json.loads(before)
    assert _only_task(instance).task_id == task.task_id


def test_missing_required_field_names_the_field(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(_only_task(instance).task_id, {"concern": "x"}, lanes=ALL_LANES)
    assert caught.value.field_errors == {"children": ["Add at least one entry to the children"]}


def test_a_task_in_another_lane_is_refused(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(_only_task(instance).task_id, ENTER, lanes={"Decision maker"})
    assert caught.value.code == "wrong_lane"
    assert instance.human_tasks(lanes={"Decision maker"}) == ()


def test_a_task_that_is_not_ready_is_refused(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    task = _only_task(instance)
    instance.complete_task(task.task_id, ENTER, lanes=ALL_LANES)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(task.task_id, ENTER, lanes=ALL_LANES)
    assert caught.value.code == "not_ready"


def test_a_future_task_cannot_be_run_early(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    future = next(t for t in instance._all_tasks() if t.task_spec.bpmn_id == "ut_approve")
    with pytest.raises(EngineError) as caught:
        instance.complete_task(str(future.id), {"approved": True}, lanes=ALL_LANES)
    assert caught.value.code == "not_ready"


@pytest.mark.parametrize("task_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_task_is_not_found(mini, start_data, task_id):
    instance = ProcessInstance.start(mini, start_data)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(task_id, ENTER, lanes=ALL_LANES)
    assert caught.value.code == "not_found"


@pytest.mark.parametrize("data", [
    {"typename": "Task"},
    {"applicant": {"typename": "x"}},
    {"_getattr_": 1},
])
def test_reserved_keys_in_start_data_are_refused(mini, data):
    with pytest.raises(EngineError) as caught:
        ProcessInstance.start(mini, {"limit_initial": "PT24H", "outcome_codes": [], **data})
    assert caught.value.code == "invalid_data"


def test_state_is_stored_without_the_spec_and_round_trips(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    state = instance.dump()
    stored = json.loads(instance.dump_json())
    assert "spec" not in stored and "subprocess_specs" not in stored
    assert stored["spec_key"] == mini.content_hash
    restored = ProcessInstance.load(mini, state)
    assert restored.human_tasks() == instance.human_tasks()
    assert restored.timers() == instance.timers()


def test_loaded_instances_run_diagram_code_in_the_sandbox(mini, start_data):
    instance = ProcessInstance.load(mini, ProcessInstance.start(mini, start_data).dump())
    assert type(instance._wf.script_engine.environment).__name__ == "RestrictedEnvironment"


def test_state_from_another_version_is_refused(mini, mini_files, start_data):
    from engine import load_files

    other = load_files({**mini_files, "mini.bpmn": mini_files["mini.bpmn"].replace(
        b'name="Score"', b'name="Score v2"')}, "mini")
    state = ProcessInstance.start(mini, start_data).dump()
    with pytest.raises(EngineError) as caught:
        ProcessInstance.load(other, state)
    assert caught.value.code == "wrong_definition"


def test_timer_due_time_is_reported_and_fires_only_when_due(mini, start_data):
    with time_machine.travel(T0, tick=False) as clock:
        instance = ProcessInstance.start(mini, start_data)
        (timer,) = instance.timers()
        assert timer.due_at == T0 + timedelta(hours=24)
        assert instance.status().next_due_at == timer.due_at
        clock.shift(timedelta(hours=23, minutes=59))
        assert instance.fire_due_timers() == ()
        clock.shift(timedelta(minutes=2))
        fired = instance.fire_due_timers()
    assert [t.bpmn_id for t in fired] == ["timer_sla"]
    assert {t.bpmn_id for t in instance.human_tasks()} == {"ut_enter", "ut_breach"}


def test_timer_due_time_survives_save_and_load(mini, start_data):
    with time_machine.travel(T0, tick=False) as clock:
        state = ProcessInstance.start(mini, start_data).dump()
        clock.shift(timedelta(hours=30))
        instance = ProcessInstance.load(mini, state)
        assert instance.timers()[0].due_at == T0 + timedelta(hours=24)
        instance.fire_due_timers()
    assert {t.bpmn_id for t in instance.human_tasks()} == {"ut_enter", "ut_breach"}


def test_message_closes_the_case_and_unknown_messages_are_refused(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    assert instance.status().waiting_messages == ("ApplicantWithdraws",)
    with pytest.raises(EngineError) as caught:
        instance.send_message("Nonsense", {})
    assert caught.value.code == "not_waiting"
    status = instance.send_message("ApplicantWithdraws", {"reason": "moved away"})
    assert status.status == "completed"
    assert status.outcome_codes == ("Withdrawn",)
    assert status.timers == ()


def test_a_failing_script_poisons_the_instance_and_saved_state_is_untouched(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    before = instance.dump()
    enter = instance._wf.get_tasks(spec_name="ut_enter")[0]
    enter.data["children"] = "not a list"  # bypasses the form: the script will fail on it
    with pytest.raises(EngineError) as caught:
        instance._step(enter.run)
    assert caught.value.code == "script_error"
    assert caught.value.details["bpmn_id"] == "st_score"
    with pytest.raises(EngineError, match="reload"):
        instance.dump()
    assert ProcessInstance.load(mini, before).human_tasks()[0].bpmn_id == "ut_enter"


def test_a_deep_loop_that_would_stall_silently_is_reported():
    loop = load_folder(FIXTURES / "loop")
    with pytest.raises(EngineError) as caught:
        ProcessInstance.start(loop, {"n": 0})
    assert caught.value.code == "stalled"


def test_a_short_loop_completes():
    loop = load_folder(FIXTURES / "loop")
    status = ProcessInstance.start(loop, {"n": 900}).status()
    assert status.status == "completed"


def test_a_timer_can_be_moved_and_fires_at_its_new_time(mini, start_data):
    with time_machine.travel(T0, tick=False) as clock:
        instance = ProcessInstance.start(mini, start_data)
        later = T0 + timedelta(days=3)
        (moved,) = instance.set_timer_due("timer_sla", later)
        assert moved.due_at == later
        instance = ProcessInstance.load(mini, instance.dump())
        clock.shift(timedelta(days=2))
        assert instance.fire_due_timers() == ()
        clock.shift(timedelta(days=1, seconds=1))
        assert [t.bpmn_id for t in instance.fire_due_timers()] == ["timer_sla"]


def test_moving_a_timer_needs_an_aware_time(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    with pytest.raises(EngineError):
        instance.set_timer_due("timer_sla", datetime(2026, 1, 1))  # noqa: DTZ001


def test_instructions_follow_the_data_they_were_rendered_from():
    from engine.instructions import render_instructions

    source = "Check {{ subject.name }} ({{ n }})"
    assert render_instructions(source, {"subject": {"name": "A"}, "n": 1}) == "Check A (1)"
    assert render_instructions(source, {"subject": {"name": "B"}, "n": 1}) == "Check B (1)"
    assert render_instructions(source, {"subject": {"name": "A"}, "n": "1"}) == "Check A (1)"
    assert render_instructions(source, {"subject": {"name": "A"}, "n": 1}) == "Check A (1)"
    assert render_instructions(source, {"n": 2, "other": "ignored"}) == "Check  (2)"


def test_ready_task_ids_are_the_ids_of_the_offered_tasks(mini, start_data):
    instance = ProcessInstance.start(mini, start_data)
    assert instance.ready_task_ids() == tuple(t.task_id for t in instance.human_tasks())
    instance.complete_task(_only_task(instance).task_id, ENTER, lanes=ALL_LANES)
    assert instance.ready_task_ids() == tuple(t.task_id for t in instance.human_tasks())
    assert len(instance.ready_task_ids()) == 1
