"""Every path through the national CSODS process, each run straight through and with a
save/restore between every step, asserting the outcome codes and the tasks offered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from engine import Definition, ProcessInstance, load_folder
from engine.simulation import Answer, drive, save_and_reload

CSODS = Path(__file__).resolve().parents[2] / "processes" / "csods"
SAMPLES = {p.stem: json.loads(p.read_text()) for p in (CSODS / "forms" / "samples").glob("*.json")}
LANES = {"Contact handler", "Case officer", "Decision maker", "Disclosure officer"}
# The start data of a case: every declared parameter at its default (the national base).
DEFAULTS = {name: parameter["default"] for name, parameter in
            json.loads((CSODS / "scheme.json").read_text())["parameters"].items()}
NATIONAL = {**DEFAULTS, "outcome_codes": []}
T0 = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # a Friday afternoon before the clocks change

TASK_FORMS = {
    "ut_record_enquiry": "enquiry", "ut_initial_checks": "initial_checks",
    "ut_out_of_scope_advice": "out_of_scope_advice",
    "ut_verification_interview": "verification_interview",
    "ut_police_checks": "police_checks", "ut_intelligence_checks": "intelligence_checks",
    "ut_partner_checks": "partner_checks", "ut_risk_assessment": "risk_assessment",
    "ut_decision": "decision", "ut_panel_decision": "panel_decision",
    "ut_plan_disclosure": "disclosure_plan", "ut_deliver_disclosure": "disclosure_delivery",
    "ut_inform_subject": "subject_notification",
    "ut_no_disclosure_outcome": "no_disclosure_outcome",
    "ut_follow_up_support": "follow_up_support",
    "ut_immediate_action": "immediate_action", "ut_immediate_risk_review": "immediate_risk_review",
    "ut_review_initial_breach": "breach_review", "ut_review_interview_breach": "breach_review",
    "ut_review_overall_breach": "breach_review",
}
CHECKS = ["ut_police_checks", "ut_intelligence_checks", "ut_partner_checks"]
TO_DECISION = ["ut_record_enquiry", "ut_initial_checks", "ut_verification_interview",
               *CHECKS, "ut_risk_assessment"]
NO_DISCLOSURE = {"decision": "no_disclosure", "disclosure_category": "not_applicable",
                 "safeguarding_referral": False, "action_against_subject": False}
IMMEDIATE = {"immediate_risk": True, "immediate_risk_details": "Subject seen at the school gate"}


@pytest.fixture(scope="module")
def csods() -> Definition:
    return load_folder(CSODS, lanes=LANES)


@pytest.fixture(params=["straight", "save_restore"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def answers(**overrides: Mapping[str, Any] | Answer) -> dict[str, Answer]:
    """Sample data for every task, with some tasks' answers changed."""
    out: dict[str, Answer] = {bpmn: SAMPLES[form] for bpmn, form in TASK_FORMS.items()}
    for bpmn, change in overrides.items():
        out[bpmn] = change if callable(change) else {**SAMPLES[TASK_FORMS[bpmn]], **change}
    return out


def run(definition: Definition, mode: str, the_answers: Mapping[str, Answer], *,
        start: Mapping[str, Any] = NATIONAL, stop_at: tuple[str, ...] = (),
        instance: ProcessInstance | None = None) -> tuple[ProcessInstance, list[str]]:
    between = save_and_reload if mode == "save_restore" else None
    if instance is None:
        instance = ProcessInstance.start(definition, start)
        if between:
            instance = between(instance)
    instance, steps = drive(instance, the_answers, lanes=LANES, stop_at=stop_at, between=between)
    return instance, [s.bpmn_id for s in steps]


def offered(instance: ProcessInstance) -> set[str]:
    return {t.bpmn_id for t in instance.human_tasks()}


def test_the_first_task_is_the_contact_handlers_enquiry(csods):
    instance = ProcessInstance.start(csods, NATIONAL)
    (task,) = instance.human_tasks()
    assert (task.bpmn_id, task.lane, task.form_key) == (
        "ut_record_enquiry", "Contact handler", "enquiry")
    assert task.stage == "1. Enquiry and initial checks"


def test_out_of_scope_closes_with_advice(csods, mode):
    out = answers(ut_initial_checks={"in_scope": False, "child_named": False,
                                     "out_of_scope_reason": "no_named_child"})
    instance, steps = run(csods, mode, out)
    assert steps == ["ut_record_enquiry", "ut_initial_checks", "ut_out_of_scope_advice"]
    status = instance.status()
    assert status.status == "completed"
    assert status.outcome_codes == ("OutOfScope",)


def test_withdrawal_during_the_interview_stage_closes_the_case(csods, mode):
    instance, steps = run(csods, mode, answers(), stop_at=("ut_verification_interview",))
    assert steps == ["ut_record_enquiry", "ut_initial_checks"]
    assert offered(instance) == {"ut_verification_interview"}
    assert "ApplicantWithdraws" in instance.status().waiting_messages
    status = instance.send_message("ApplicantWithdraws", {"reason": "moved away"})
    if mode == "save_restore":
        status = save_and_reload(instance).status()
    assert status.status == "completed"
    assert status.outcome_codes == ("Withdrawn",)
    assert status.human_tasks == () and status.timers == ()


def test_identity_not_verified_closes_without_disclosure(csods, mode):
    out = answers(ut_verification_interview={"identity_verified": False})
    instance, steps = run(csods, mode, out)
    assert steps == ["ut_record_enquiry", "ut_initial_checks", "ut_verification_interview"]
    assert instance.status().outcome_codes == ("IdentityNotVerified",)
    assert instance.status().status == "completed"


def test_full_checks_run_in_parallel_and_join_before_the_assessment(csods, mode):
    instance, steps = run(csods, mode, answers(), stop_at=("ut_police_checks",))
    assert offered(instance) == set(CHECKS)
    instance, steps = run(csods, mode, answers(), stop_at=("ut_risk_assessment",),
                          instance=instance)
    assert sorted(steps) == sorted(CHECKS)
    assert offered(instance) == {"ut_risk_assessment"}


def test_a_timer_falling_due_while_the_case_is_idle_fires_on_the_next_step(csods, mode):
    with time_machine.travel(T0, tick=False) as clock:
        instance, _ = run(csods, mode, answers(), stop_at=("ut_decision",))
        clock.shift(timedelta(days=60))
        instance, steps = run(csods, mode, answers(), instance=instance,
                              stop_at=("ut_review_overall_breach",))
    assert steps == ["ut_decision"]
    assert {"ut_plan_disclosure", "ut_review_overall_breach"} == offered(instance)


def test_no_disclosure_path(csods, mode):
    instance, steps = run(csods, mode, answers(ut_decision=NO_DISCLOSURE))
    assert steps == [*TO_DECISION, "ut_decision", "ut_no_disclosure_outcome"]
    status = instance.status()
    assert (status.status, status.outcome_codes) == ("completed", ("NoDisclosure",))


def test_disclosure_path(csods, mode):
    instance, steps = run(csods, mode, answers())
    assert steps == [*TO_DECISION, "ut_decision", "ut_plan_disclosure", "ut_deliver_disclosure"]
    status = instance.status()
    assert status.status == "completed"
    assert status.outcome_codes == ("DisclosureChildSexualOffence", "SafeguardingReferral")
    assert instance.data()["recommended_decision"] == "disclose"  # from the DMN table


def test_undertaking_refused_goes_back_to_the_decision_then_discloses(csods, mode):
    deliveries = iter([
        {**SAMPLES["disclosure_delivery"], "undertaking_signed": False,
         "undertaking_refusal_reason": "Would not sign"},
        SAMPLES["disclosure_delivery"],
    ])
    other_info = {"disclosure_category": "other_information", "safeguarding_referral": False}
    decisions = iter([SAMPLES["decision"], {**SAMPLES["decision"], **other_info}])
    out = answers(ut_deliver_disclosure=lambda _data: next(deliveries),
                  ut_decision=lambda _data: next(decisions))
    instance, steps = run(csods, mode, out)
    assert steps == [*TO_DECISION, "ut_decision", "ut_plan_disclosure", "ut_deliver_disclosure",
                     "ut_decision", "ut_plan_disclosure", "ut_deliver_disclosure"]
    status = instance.status()
    assert status.status == "completed"
    # The reconsidered decision replaced the first one's fields.
    assert status.outcome_codes == ("DisclosureOtherInformation",)


def test_a_disclosure_not_made_in_person_goes_back_to_the_decision_and_is_not_logged(csods,
                                                                                   mode):
    not_in_person = {**SAMPLES["disclosure_delivery"], "delivered_in_person": False}
    instance, steps = run(csods, mode, answers(ut_deliver_disclosure=not_in_person),
                          stop_at=("ut_plan_disclosure",))
    instance, steps = run(csods, mode, answers(ut_deliver_disclosure=not_in_person),
                          instance=instance, stop_at=("ut_decision",))
    # then: back with the decision maker, still open, nothing recorded as a disclosure
    assert steps == ["ut_plan_disclosure", "ut_deliver_disclosure"]
    assert offered(instance) == {"ut_decision"}
    status = instance.status()
    assert status.status != "completed" and status.outcome_codes == ()
    # a decision not to disclose after all closes without a disclosure
    instance, steps = run(csods, mode, answers(ut_decision=NO_DISCLOSURE), instance=instance)
    assert steps == ["ut_decision", "ut_no_disclosure_outcome"]
    assert instance.status().outcome_codes == ("NoDisclosure",)


def test_panel_route_asks_the_panel_instead_of_a_single_decision_maker(csods, mode):
    instance, steps = run(csods, mode, answers(), start={**NATIONAL, "decision_route": "panel"})
    assert "ut_panel_decision" in steps and "ut_decision" not in steps
    assert instance.status().status == "completed"


@pytest.mark.parametrize("continues", [False, True])
def test_immediate_risk_at_stage_1(csods, mode, continues):
    review = {"application_continues": continues}
    out = answers(ut_initial_checks=IMMEDIATE, ut_immediate_risk_review=review)
    stop = ("ut_verification_interview",) if continues else ()
    instance, steps = run(csods, mode, out, stop_at=stop)
    assert steps[:4] == ["ut_record_enquiry", "ut_initial_checks", "ut_immediate_action",
                         "ut_immediate_risk_review"]
    codes = instance.status().outcome_codes
    assert codes[:2] == ("ImmediateAction", "SafeguardingReferral")
    if continues:
        assert offered(instance) == {"ut_verification_interview"}
        assert instance.status().status == "running"
    else:
        assert instance.status().status == "completed"
        assert instance.human_tasks() == ()


def test_immediate_risk_at_stage_3_closes_the_case(csods, mode):
    out = answers(ut_risk_assessment=IMMEDIATE,
                  ut_immediate_risk_review={"application_continues": False})
    instance, steps = run(csods, mode, out)
    assert steps == [*TO_DECISION, "ut_immediate_action", "ut_immediate_risk_review"]
    status = instance.status()
    assert status.status == "completed"
    assert status.outcome_codes == ("ImmediateAction", "SafeguardingReferral")


def test_24h_breach_escalates_to_the_decision_maker_and_the_check_stays_open(csods, mode):
    with time_machine.travel(T0, tick=False) as clock:
        instance, _ = run(csods, mode, answers(), stop_at=("ut_initial_checks",))
        due = {t.bpmn_id: t.due_at for t in instance.timers()}
        assert min(due.values()) == T0 + timedelta(hours=24)
        clock.shift(timedelta(hours=23, minutes=59))
        assert instance.fire_due_timers() == ()
        clock.shift(timedelta(minutes=2))
        fired = instance.fire_due_timers()
        if mode == "save_restore":
            instance = save_and_reload(instance)
        assert len(fired) == 1
        ready = {t.bpmn_id: t for t in instance.human_tasks()}
        assert set(ready) == {"ut_initial_checks", "ut_review_initial_breach"}
        assert ready["ut_review_initial_breach"].lane == "Decision maker"
        review = {"ut_review_initial_breach": SAMPLES["breach_review"]}
        instance, steps = run(csods, mode, review, instance=instance)
        assert steps == ["ut_review_initial_breach"]
        assert offered(instance) == {"ut_initial_checks"}
        instance, steps = run(csods, mode, answers(), instance=instance)
    assert instance.status().status == "completed"


def test_overall_limit_breach_escalates_after_45_days(csods, mode):
    with time_machine.travel(T0, tick=False) as clock:
        instance, _ = run(csods, mode, answers(), stop_at=("ut_decision",))
        overall = [t for t in instance.timers() if t.due_at == T0 + timedelta(days=45)]
        assert len(overall) == 1, instance.timers()
        clock.shift(timedelta(days=45, minutes=1))
        instance.fire_due_timers()
        if mode == "save_restore":
            instance = save_and_reload(instance)
        assert {"ut_decision", "ut_review_overall_breach"} <= offered(instance)
        instance, _ = run(csods, mode, answers(), instance=instance)
    status = instance.status()
    assert status.status == "completed"
    assert status.outcome_codes == ("DisclosureChildSexualOffence", "SafeguardingReferral")


def test_a_finished_case_keeps_no_finished_subprocess_but_remembers_what_ran(csods):
    instance, _ = run(csods, "straight", answers())
    stored = json.loads(instance.dump_json())
    assert [p.get("spec") for p in stored["processes"]] == [None]  # the top level only
    restored = save_and_reload(instance)
    assert {"ut_initial_checks", "ut_police_checks", "ut_deliver_disclosure", "ca_checks"} <= set(
        restored.completed_bpmn_ids())
    assert restored.status().outcome_codes == instance.status().outcome_codes


def test_a_finished_case_state_is_at_most_16_kb(csods):
    instance, _ = run(csods, "straight", answers())
    assert len(instance.dump()) <= 16 * 1024
