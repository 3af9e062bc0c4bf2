"""Every path through Clare's Law (the Domestic Violence Disclosure Scheme), both routes, each run
straight through and with a save/restore between every step, asserting the outcome codes and the
tasks offered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from lxml import etree

from engine import Definition, ProcessInstance, load_folder
from engine.simulation import Answer, drive, save_and_reload

DVDS = Path(__file__).resolve().parents[2] / "processes" / "dvds"
SAMPLES = {p.stem: json.loads(p.read_text()) for p in (DVDS / "forms" / "samples").glob("*.json")}
SCHEME = json.loads((DVDS / "scheme.json").read_text())
LANES = set(SCHEME["lanes"])
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")
FORCE = {"limit_initial": "PT24H", "limit_overall": "P28D", "outcome_codes": []}
T0 = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # a Friday afternoon before the clocks change
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def task_forms() -> dict[str, str]:
    """User task id -> form name, read from each task's form property in the diagram."""
    root = etree.parse(str(DVDS / "dvds.bpmn")).getroot()
    return {task.get("id"): prop.get("value").removesuffix(".schema.json")
            for task in root.iterfind(".//bpmn:userTask", NS)
            for prop in task.iterfind(".//spiffworkflow:property", NS)
            if prop.get("name") == "formJsonSchemaFilename"}


TASK_FORMS = task_forms()
INTAKE = "ut_dv_record_application"
RIGHT_TO_ASK = {
    "route": "right_to_ask", "received_via": "phone",
    "applicant": {"first_name": "Janet", "last_name": "Marsh", "date_of_birth": "1968-09-30",
                  "relationship_to_person_at_risk": "parent", "safe_contact_method": "phone",
                  "safe_contact_details": "07700 900789", "safe_contact_times": "Any time"},
}
CHECKS = ["ut_dv_police_checks", "ut_dv_intelligence_checks", "ut_dv_partner_checks"]
RTK_TO_FORUM = [INTAKE, "ut_dv_initial_check", *CHECKS, "ut_dv_risk_assessment"]
RTA_TO_FORUM = [INTAKE, "ut_dv_initial_check", "ut_dv_meeting", *CHECKS, "ut_dv_risk_assessment"]
DISCLOSE = ["ut_dv_forum_decision", "ut_dv_plan_disclosure", "ut_dv_deliver_disclosure"]
NO_EXTRAS = {"marac_referral": False, "safeguarding_referral": False,
             "action_against_subject": False}
IMMEDIATE = {"immediate_risk": True,
             "immediate_risk_details": "Subject threatened her with a knife last night"}
ROUTE_CODE = {"right_to_ask": "RightToAsk", "right_to_know": "RightToKnow"}


@pytest.fixture(scope="module")
def dvds() -> Definition:
    definition = load_folder(DVDS, roles=ROLES)  # the declaration must map every lane to a role
    assert definition.scheme.defaults() | {"outcome_codes": []} == FORCE
    return definition


@pytest.fixture(params=["straight", "save_restore"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def answers(route: str = "right_to_know", **overrides: Mapping[str, Any] | Answer
            ) -> dict[str, Answer]:
    """Sample data for every task on the given route, with some tasks' answers changed."""
    out: dict[str, Answer] = {bpmn: SAMPLES[form] for bpmn, form in TASK_FORMS.items()}
    if route == "right_to_ask":
        out[INTAKE] = {**SAMPLES["application"], **RIGHT_TO_ASK}
    for bpmn, change in overrides.items():
        base = out[bpmn]
        out[bpmn] = change if callable(change) else {**base, **change}  # type: ignore[dict-item]
    return out


def run(definition: Definition, mode: str, the_answers: Mapping[str, Answer], *,
        stop_at: tuple[str, ...] = (), instance: ProcessInstance | None = None
        ) -> tuple[ProcessInstance, list[str]]:
    between = save_and_reload if mode == "save_restore" else None
    if instance is None:
        instance = ProcessInstance.start(definition, FORCE)
        if between:
            instance = between(instance)
    instance, steps = drive(instance, the_answers, lanes=LANES, stop_at=stop_at, between=between)
    return instance, [s.bpmn_id for s in steps]


def offered(instance: ProcessInstance) -> set[str]:
    return {t.bpmn_id for t in instance.human_tasks()}


def closed_with(instance: ProcessInstance, *codes: str) -> None:
    status = instance.status()
    assert (status.status, status.outcome_codes) == ("completed", codes)
    assert status.human_tasks == () and status.timers == ()


def test_the_contact_handler_records_the_case_then_stage_1_starts(dvds):
    instance = ProcessInstance.start(dvds, FORCE)
    (task,) = instance.human_tasks()
    assert (task.bpmn_id, task.lane, task.form_key) == (INTAKE, "Contact handler", "application")
    assert "ApplicantWithdraws" not in instance.status().waiting_messages
    instance, _ = run(dvds, "straight", answers("right_to_ask"), instance=instance,
                      stop_at=("ut_dv_initial_check",))
    (check,) = instance.human_tasks()
    assert check.lane == "Case officer"
    assert check.stage == "1. Initial contact and immediate-risk check"
    assert check.instructions.startswith(
        "Right to Ask application from Janet Marsh about Ryan Tate; person at risk Chloe Marsh. "
        "Children in the household: Alfie Marsh.")
    assert instance.status().outcome_codes == ("RightToAsk",)


def test_right_to_know_goes_from_the_check_to_the_checks_without_a_meeting(dvds, mode):
    instance, steps = run(dvds, mode, answers())
    assert steps == [*RTK_TO_FORUM, *DISCLOSE]
    closed_with(instance, "RightToKnow", "Disclosure", "SafeguardingReferral")
    assert instance.data()["recommended_decision"] == "disclose"  # from the DMN table


def test_right_to_ask_meets_the_applicant_then_discloses(dvds, mode):
    instance, steps = run(dvds, mode, answers("right_to_ask"), stop_at=("ut_dv_meeting",))
    (meeting,) = instance.human_tasks()
    assert (meeting.lane, meeting.stage) == ("Case officer", "2. Face-to-face meeting")
    assert "Meet Janet Marsh in person" in meeting.instructions
    instance, rest = run(dvds, mode, answers("right_to_ask"), instance=instance)
    assert steps + rest == [*RTA_TO_FORUM, *DISCLOSE]
    closed_with(instance, "RightToAsk", "Disclosure", "SafeguardingReferral")


def test_the_checks_run_in_parallel_and_join_before_the_assessment(dvds, mode):
    instance, _ = run(dvds, mode, answers(), stop_at=("ut_dv_police_checks",))
    assert offered(instance) == set(CHECKS)
    instance, steps = run(dvds, mode, answers(), instance=instance,
                          stop_at=("ut_dv_risk_assessment",))
    assert sorted(steps) == sorted(CHECKS)
    assert offered(instance) == {"ut_dv_risk_assessment"}


@pytest.mark.parametrize("route", ["right_to_ask", "right_to_know"])
def test_not_a_matter_for_the_scheme_closes_with_advice(dvds, mode, route):
    out = answers(route, ut_dv_initial_check={"in_scope": False,
                                              "out_of_scope_reason": "no_intimate_relationship"})
    instance, steps = run(dvds, mode, out)
    assert steps == [INTAKE, "ut_dv_initial_check", "ut_dv_out_of_scope_advice"]
    closed_with(instance, ROUTE_CODE[route], "OutOfScope")


@pytest.mark.parametrize("who", ["applicant_identity_verified", "person_at_risk_identity_verified"])
def test_identity_not_verified_closes_without_checks(dvds, mode, who):
    instance, steps = run(dvds, mode, answers("right_to_ask", ut_dv_meeting={who: False}))
    assert steps == [INTAKE, "ut_dv_initial_check", "ut_dv_meeting"]
    closed_with(instance, "RightToAsk", "IdentityNotVerified")


@pytest.mark.parametrize("continues", [False, True])
def test_immediate_risk_acts_at_once_then_the_decision_maker_decides(dvds, mode, continues):
    out = answers("right_to_ask", ut_dv_initial_check=IMMEDIATE,
                  ut_dv_immediate_risk_review={"application_continues": continues})
    instance, steps = run(dvds, mode, out, stop_at=("ut_dv_immediate_action",))
    (action,) = instance.human_tasks()
    assert (action.lane, action.stage) == ("Case officer", "1. Immediate action")
    assert "Subject threatened her with a knife last night" in action.instructions
    instance, more = run(dvds, mode, out, instance=instance,
                         stop_at=("ut_dv_immediate_risk_review",))
    (review,) = instance.human_tasks()
    assert review.lane == "Decision maker"
    instance, more2 = run(dvds, mode, out, instance=instance, stop_at=("ut_dv_meeting",))
    assert steps + more + more2 == [INTAKE, "ut_dv_initial_check", "ut_dv_immediate_action",
                                    "ut_dv_immediate_risk_review"]
    codes = ("RightToAsk", "ImmediateAction", "MaracReferral", "SafeguardingReferral")
    if not continues:
        closed_with(instance, *codes)
        return
    assert offered(instance) == {"ut_dv_meeting"}
    assert instance.status().outcome_codes == codes
    instance, rest = run(dvds, mode, out, instance=instance)
    assert rest == RTA_TO_FORUM[2:] + DISCLOSE
    closed_with(instance, *codes, "Disclosure")


def test_immediate_risk_comes_before_scope(dvds, mode):
    out = answers(ut_dv_initial_check={**IMMEDIATE, "in_scope": False,
                                       "out_of_scope_reason": "no_intimate_relationship"},
                  ut_dv_immediate_risk_review={"application_continues": False})
    instance, steps = run(dvds, mode, out, stop_at=("ut_dv_immediate_risk_review",))
    (review,) = instance.human_tasks()
    assert "not a matter for the scheme" in review.instructions
    instance, more = run(dvds, mode, out, instance=instance)
    assert steps + more == [INTAKE, "ut_dv_initial_check", "ut_dv_immediate_action",
                            "ut_dv_immediate_risk_review"]
    closed_with(instance, "RightToKnow", "ImmediateAction", "MaracReferral", "SafeguardingReferral")


@pytest.mark.parametrize("stop", ["ut_dv_immediate_action", "ut_dv_immediate_risk_review"])
def test_no_withdrawal_during_immediate_action(dvds, stop):
    instance, _ = run(dvds, "straight", answers(ut_dv_initial_check=IMMEDIATE), stop_at=(stop,))
    assert offered(instance) == {stop}
    assert "ApplicantWithdraws" not in instance.status().waiting_messages


def test_withdrawal_after_immediate_action_keeps_its_outcomes(dvds, mode):
    out = answers("right_to_ask", ut_dv_initial_check=IMMEDIATE)
    instance, _ = run(dvds, mode, out, stop_at=("ut_dv_meeting",))
    instance.send_message("ApplicantWithdraws", {"reason": "moved away"})
    if mode == "save_restore":
        instance = save_and_reload(instance)
    closed_with(instance, "RightToAsk", "ImmediateAction", "MaracReferral",
                "SafeguardingReferral", "Withdrawn")


def test_immediate_action_without_referrals_records_only_the_action(dvds, mode):
    out = answers(ut_dv_initial_check=IMMEDIATE,
                  ut_dv_immediate_action={"actions_taken": ["deployment"],
                                          "immediate_safeguarding_referral": False,
                                          "immediate_marac_referral": False},
                  ut_dv_immediate_risk_review={"application_continues": False})
    instance, _ = run(dvds, mode, out)
    closed_with(instance, "RightToKnow", "ImmediateAction")


@pytest.mark.parametrize(("route", "stop"), [
    ("right_to_ask", "ut_dv_initial_check"),
    ("right_to_know", "ut_dv_initial_check"),
    ("right_to_ask", "ut_dv_meeting"),
    ("right_to_know", "ut_dv_police_checks"),
    ("right_to_ask", "ut_dv_risk_assessment"),
    ("right_to_know", "ut_dv_forum_decision"),
])
def test_withdrawal_at_each_stage_closes_the_case(dvds, mode, route, stop):
    instance, _ = run(dvds, mode, answers(route), stop_at=(stop,))
    assert stop in offered(instance)
    assert "ApplicantWithdraws" in instance.status().waiting_messages
    status = instance.send_message("ApplicantWithdraws", {"reason": "no longer wants it"})
    if mode == "save_restore":
        instance = save_and_reload(instance)
    assert status.status == "completed"
    closed_with(instance, ROUTE_CODE[route], "Withdrawn")
    assert instance.data()["person_at_risk"]["last_name"] == "Marsh"  # the case data survive


@pytest.mark.parametrize("stop", ["ut_dv_plan_disclosure", "ut_dv_no_disclosure_outcome"])
def test_no_withdrawal_once_the_forum_has_decided(dvds, stop):
    decision = {} if stop == "ut_dv_plan_disclosure" else {"decision": "no_disclosure"}
    instance, _ = run(dvds, "straight", answers(ut_dv_forum_decision=decision), stop_at=(stop,))
    assert offered(instance) == {stop}
    assert "ApplicantWithdraws" not in instance.status().waiting_messages


EXTRAS = {
    "none": ({}, ()),
    "marac": ({"marac_referral": True}, ("MaracReferral",)),
    "safeguarding": ({"safeguarding_referral": True}, ("SafeguardingReferral",)),
    "action": ({"action_against_subject": True,
                "action_against_subject_details": "Arrest for the breach of his bail conditions"},
               ("ActionAgainstSubject",)),
    "all": ({"marac_referral": True, "safeguarding_referral": True,
             "action_against_subject": True,
             "action_against_subject_details": "Referral to probation for a breach"},
            ("MaracReferral", "SafeguardingReferral", "ActionAgainstSubject")),
}


@pytest.mark.parametrize("extra", sorted(EXTRAS))
@pytest.mark.parametrize("decision", ["disclose", "no_disclosure"])
def test_the_forum_decides_and_each_extra_outcome_is_recorded(dvds, mode, decision, extra):
    change, extra_codes = EXTRAS[extra]
    out = answers(ut_dv_forum_decision={**NO_EXTRAS, "decision": decision, **change})
    instance, steps = run(dvds, mode, out)
    if decision == "disclose":
        assert steps == [*RTK_TO_FORUM, *DISCLOSE]
        closed_with(instance, "RightToKnow", "Disclosure", *extra_codes)
    else:
        assert steps == [*RTK_TO_FORUM, "ut_dv_forum_decision", "ut_dv_no_disclosure_outcome"]
        closed_with(instance, "RightToKnow", "NoDisclosure", *extra_codes)


def test_no_disclosure_tells_the_applicant_and_signposts_the_person_at_risk(dvds, mode):
    nothing = {"domestic_abuse_convictions": False, "violent_convictions": False,
               "previous_domestic_abuse_incidents": False}
    out = answers("right_to_ask", ut_dv_police_checks=nothing,
                  ut_dv_intelligence_checks={"intelligence_of_concern": False},
                  ut_dv_partner_checks={"partner_concerns": False},
                  ut_dv_forum_decision={**NO_EXTRAS, "decision": "no_disclosure"},
                  ut_dv_no_disclosure_outcome={"applicant_told": "phone"})
    instance, _ = run(dvds, mode, out, stop_at=("ut_dv_no_disclosure_outcome",))
    assert instance.data()["recommended_decision"] == "no_disclosure"  # nothing found
    (task,) = instance.human_tasks()
    assert "Tell Janet Marsh that no disclosure is made" in task.instructions
    assert "0808 2000 247" in task.instructions and "Chloe Marsh" in task.instructions
    instance, steps = run(dvds, mode, out, instance=instance)
    assert steps == ["ut_dv_no_disclosure_outcome"]
    closed_with(instance, "RightToAsk", "NoDisclosure")


@pytest.mark.parametrize("second", ["disclose", "no_disclosure"])
def test_refusal_to_sign_goes_back_to_the_forum(dvds, mode, second):
    deliveries = iter([
        {**SAMPLES["disclosure_delivery"], "undertaking_signed": False,
         "undertaking_refusal_reason": "Wants to tell her sister"},
        SAMPLES["disclosure_delivery"],
    ])
    decisions = iter([SAMPLES["forum_decision"],
                      {**SAMPLES["forum_decision"], **NO_EXTRAS, "decision": second}])
    out = answers(ut_dv_deliver_disclosure=lambda _data: next(deliveries),
                  ut_dv_forum_decision=lambda _data: next(decisions))
    instance, steps = run(dvds, mode, out, stop_at=("ut_dv_forum_decision",))
    instance, steps = run(dvds, mode, out, instance=instance)  # the first decision
    assert steps[:3] == DISCLOSE
    assert steps[3] == "ut_dv_forum_decision"
    if second == "disclose":
        assert steps[4:] == DISCLOSE[1:]
        closed_with(instance, "RightToKnow", "Disclosure")
    else:
        assert steps[4:] == ["ut_dv_no_disclosure_outcome"]
        closed_with(instance, "RightToKnow", "NoDisclosure")


def test_a_disclosure_not_made_in_person_goes_back_to_the_forum_and_is_not_logged(dvds, mode):
    deliveries = iter([{**SAMPLES["disclosure_delivery"], "delivered_in_person": False},
                       SAMPLES["disclosure_delivery"]])
    out = answers(ut_dv_deliver_disclosure=lambda _data: next(deliveries))
    instance, steps = run(dvds, mode, out, stop_at=("ut_dv_forum_decision",))
    instance, steps = run(dvds, mode, out, instance=instance,
                          stop_at=("ut_dv_deliver_disclosure",))
    assert steps == DISCLOSE[:2]
    instance, steps = run(dvds, mode, out, instance=instance, stop_at=("ut_dv_forum_decision",))
    # then: back with the forum, nothing recorded as a disclosure yet
    assert steps == DISCLOSE[2:]
    assert offered(instance) == {"ut_dv_forum_decision"}
    assert "Disclosure" not in instance.status().outcome_codes
    assert "not made in person" in instance.human_tasks()[0].instructions
    # in person the second time: the case closes with the disclosure
    instance, steps = run(dvds, mode, out, instance=instance)
    assert steps == DISCLOSE
    assert "Disclosure" in instance.status().outcome_codes


def test_the_forum_sees_the_refusal_when_it_decides_again(dvds):
    refused = {"undertaking_signed": False,
               "undertaking_refusal_reason": "Wants to tell her sister"}
    instance, _ = run(dvds, "straight", answers(ut_dv_deliver_disclosure=refused),
                      stop_at=("ut_dv_plan_disclosure",))
    instance, _ = run(dvds, "straight", answers(ut_dv_deliver_disclosure=refused),
                      instance=instance, stop_at=("ut_dv_forum_decision",))
    (task,) = instance.human_tasks()
    assert "would not sign the undertaking (Wants to tell her sister)" in task.instructions


def test_24_hour_breach_goes_to_the_decision_maker_and_the_check_stays_open(dvds, mode):
    with time_machine.travel(T0, tick=False) as clock:
        instance, _ = run(dvds, mode, answers(), stop_at=("ut_dv_initial_check",))
        due = sorted(t.due_at for t in instance.timers())
        assert due == [T0 + timedelta(hours=24), T0 + timedelta(days=28)]
        clock.shift(timedelta(hours=23, minutes=59))
        assert instance.fire_due_timers() == ()
        clock.shift(timedelta(minutes=2))
        assert len(instance.fire_due_timers()) == 1
        if mode == "save_restore":
            instance = save_and_reload(instance)
        ready = {t.bpmn_id: t for t in instance.human_tasks()}
        assert set(ready) == {"ut_dv_initial_check", "ut_dv_review_initial_breach"}
        review = ready["ut_dv_review_initial_breach"]
        assert review.lane == "Decision maker"
        assert "Person at risk: Chloe Marsh. Subject: Ryan Tate." in review.instructions
        instance, steps = run(dvds, mode, {"ut_dv_review_initial_breach":
                                           SAMPLES["breach_review"]}, instance=instance)
        assert steps == ["ut_dv_review_initial_breach"]
        assert offered(instance) == {"ut_dv_initial_check"}
        instance, _ = run(dvds, mode, answers(), instance=instance)
    closed_with(instance, "RightToKnow", "Disclosure", "SafeguardingReferral")


def test_the_24_hour_clock_stops_once_stage_1_is_done(dvds, mode):
    with time_machine.travel(T0, tick=False):
        instance, _ = run(dvds, mode, answers("right_to_ask"), stop_at=("ut_dv_meeting",))
        assert [t.due_at for t in instance.timers()] == [T0 + timedelta(days=28)]


def test_28_day_breach_goes_to_the_decision_maker_while_the_forum_decides(dvds, mode):
    with time_machine.travel(T0, tick=False) as clock:
        instance, _ = run(dvds, mode, answers(), stop_at=("ut_dv_forum_decision",))
        (overall,) = instance.timers()
        assert overall.due_at == T0 + timedelta(days=28)
        clock.shift(timedelta(days=28, minutes=1))
        instance.fire_due_timers()
        if mode == "save_restore":
            instance = save_and_reload(instance)
        ready = {t.bpmn_id: t for t in instance.human_tasks()}
        assert set(ready) == {"ut_dv_forum_decision", "ut_dv_review_overall_breach"}
        assert ready["ut_dv_review_overall_breach"].lane == "Decision maker"
        assert "(P28D)" in ready["ut_dv_review_overall_breach"].instructions
        instance, steps = run(dvds, mode, answers(), instance=instance)
    assert sorted(steps) == sorted(["ut_dv_review_overall_breach", *DISCLOSE])
    closed_with(instance, "RightToKnow", "Disclosure", "SafeguardingReferral")


def test_a_finished_case_state_is_at_most_16_kb(dvds):
    instance, _ = run(dvds, "straight", answers("right_to_ask"))
    assert len(instance.dump()) <= 16 * 1024
