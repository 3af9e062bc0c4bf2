"""Each CSODS overlay parameter changes what happens: the start data is the scheme's defaults
with that one parameter changed, and the tasks offered, the path or the outcome differ."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Definition, ProcessInstance, load_folder
from tests.processes.test_csods_scenarios import (
    CHECKS,
    CSODS,
    LANES,
    NATIONAL,
    NO_DISCLOSURE,
    SAMPLES,
    TO_DECISION,
    answers,
    offered,
    run,
)


@pytest.fixture(scope="module")
def csods() -> Definition:
    return load_folder(CSODS, lanes=LANES)


@pytest.fixture(params=["straight", "save_restore"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


BEFORE_INTERVIEW = ("ut_record_enquiry", "ut_initial_checks")


def _instructions(instance: ProcessInstance, bpmn_id: str) -> str:
    (task,) = [t for t in instance.human_tasks() if t.bpmn_id == bpmn_id]
    return task.instructions


# -- interview_mode --------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["phone", "video"])
def test_in_person_only_refuses_a_remote_interview_and_asks_for_it_in_person(csods, mode,
                                                                             method):
    held = iter([{"interview_method": method}, {"interview_method": "in_person"}])
    out = answers(ut_verification_interview=lambda _data: {**SAMPLES["verification_interview"],
                                                           **next(held)})
    instance, steps = run(csods, mode, out, stop_at=("ut_verification_interview",))
    assert "accepts only an interview in person" in _instructions(
        instance, "ut_verification_interview")
    instance, steps = run(csods, mode, out, instance=instance, stop_at=("ut_police_checks",))
    assert steps == ["ut_verification_interview", "ut_verification_interview"]
    assert offered(instance) == set(CHECKS)


def test_in_person_only_tells_the_officer_why_the_interview_is_offered_again(csods):
    out = answers(ut_verification_interview={"interview_method": "phone"})
    instance, _ = run(csods, "straight", out, stop_at=("ut_verification_interview",))
    (task,) = instance.human_tasks()
    instance.complete_task(task.task_id, out["ut_verification_interview"], lanes=LANES)
    assert offered(instance) == {"ut_verification_interview"}
    assert ("The interview recorded by phone was not accepted: meet the applicant in person"
            in _instructions(instance, "ut_verification_interview"))


@pytest.mark.parametrize("method", ["phone", "video"])
def test_phone_allowed_accepts_a_remote_interview(csods, mode, method):
    start = {**NATIONAL, "interview_mode": "phone_allowed"}
    out = answers(ut_verification_interview={"interview_method": method})
    instance, steps = run(csods, mode, out, start=start, stop_at=("ut_police_checks",))
    assert steps == [*BEFORE_INTERVIEW, "ut_verification_interview"]
    assert offered(instance) == set(CHECKS)


def test_phone_allowed_says_so_in_the_interview_instructions(csods):
    start = {**NATIONAL, "interview_mode": "phone_allowed"}
    instance, _ = run(csods, "straight", answers(), start=start,
                      stop_at=("ut_verification_interview",))
    assert "accepts an interview in person, by phone or by video call" in _instructions(
        instance, "ut_verification_interview")


# -- recipient_rule --------------------------------------------------------------------------
NEIGHBOUR: dict[str, Any] = {**SAMPLES["decision"], "recipient": {
    "name": "Jo Bloggs", "relationship_to_child": "other", "is_applicant": False,
    "best_placed_to_protect": True}}


def test_best_placed_discloses_to_a_recipient_who_is_not_a_parent(csods, mode):
    instance, steps = run(csods, mode, answers(ut_decision=NEIGHBOUR))
    assert steps == [*TO_DECISION, "ut_decision", "ut_plan_disclosure", "ut_deliver_disclosure"]
    assert instance.status().outcome_codes == (
        "DisclosureChildSexualOffence", "SafeguardingReferral")


def test_parent_carer_guardian_refuses_that_recipient_and_asks_for_the_decision_again(csods,
                                                                                    mode):
    start = {**NATIONAL, "recipient_rule": "parent_carer_guardian"}
    decisions = iter([NEIGHBOUR, SAMPLES["decision"]])  # then the mother, a parent
    out = answers(ut_decision=lambda _data: next(decisions))
    instance, steps = run(csods, mode, out, start=start, stop_at=("ut_plan_disclosure",))
    assert steps == [*TO_DECISION, "ut_decision", "ut_decision"]
    assert offered(instance) == {"ut_plan_disclosure"}
    assert instance.data()["recipient"]["relationship_to_child"] == "parent"


def test_the_refused_recipient_is_explained_to_the_decision_maker(csods):
    start = {**NATIONAL, "recipient_rule": "parent_carer_guardian"}
    instance, _ = run(csods, "straight", answers(), start=start, stop_at=("ut_decision",))
    assert "was refused" not in _instructions(instance, "ut_decision")
    assert "a parent, carer or guardian of the child" in _instructions(instance, "ut_decision")
    (task,) = instance.human_tasks()
    instance.complete_task(task.task_id, NEIGHBOUR, lanes=LANES)
    assert offered(instance) == {"ut_decision"}
    assert ("The recipient you recorded was refused: this force discloses only to a parent, "
            "carer or guardian of the child" in _instructions(instance, "ut_decision"))


def test_parent_carer_guardian_refuses_the_panels_recipient_too(csods, mode):
    start = {**NATIONAL, "recipient_rule": "parent_carer_guardian", "decision_route": "panel"}
    panel_neighbour = {**SAMPLES["panel_decision"], "recipient": NEIGHBOUR["recipient"]}
    decisions = iter([panel_neighbour, {**panel_neighbour, **NO_DISCLOSURE}])
    out = answers(ut_panel_decision=lambda _data: next(decisions))
    instance, steps = run(csods, mode, out, start=start)
    assert steps == [*TO_DECISION, "ut_panel_decision", "ut_panel_decision",
                     "ut_no_disclosure_outcome"]
    assert instance.status().outcome_codes == ("NoDisclosure",)


def test_parent_carer_guardian_does_not_touch_a_no_disclosure_decision(csods, mode):
    start = {**NATIONAL, "recipient_rule": "parent_carer_guardian"}
    instance, steps = run(csods, mode, answers(ut_decision=NO_DISCLOSURE), start=start)
    assert steps == [*TO_DECISION, "ut_decision", "ut_no_disclosure_outcome"]


# -- local_steps -----------------------------------------------------------------------------
def test_without_the_local_step_no_disclosure_ends_after_the_outcome(csods, mode):
    instance, steps = run(csods, mode, answers(ut_decision=NO_DISCLOSURE))
    assert steps[-1] == "ut_no_disclosure_outcome"
    assert "ut_follow_up_support" not in steps
    assert instance.status().status == "completed"


def test_follow_up_support_adds_a_task_after_no_disclosure(csods, mode):
    start = {**NATIONAL, "local_steps": ["follow_up_support"]}
    instance, steps = run(csods, mode, answers(ut_decision=NO_DISCLOSURE), start=start,
                          stop_at=("ut_follow_up_support",))
    assert steps[-1] == "ut_no_disclosure_outcome"
    (task,) = instance.human_tasks()
    assert (task.bpmn_id, task.lane, task.form_key) == (
        "ut_follow_up_support", "Case officer", "follow_up_support")
    instance, steps = run(csods, mode, answers(), instance=instance)
    assert steps == ["ut_follow_up_support"]
    status = instance.status()
    assert (status.status, status.outcome_codes) == ("completed", ("NoDisclosure",))


def test_follow_up_support_does_not_follow_a_disclosure(csods, mode):
    start = {**NATIONAL, "local_steps": ["follow_up_support"]}
    instance, steps = run(csods, mode, answers(), start=start)
    assert "ut_follow_up_support" not in steps
    assert instance.status().status == "completed"
