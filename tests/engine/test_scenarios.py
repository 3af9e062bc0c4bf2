"""Scenarios a policy lead writes: kept with the version, checked with file and line, run in
plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import check_files, load_files
from engine.definitions import read_folder
from engine.scenarios import run_scenarios

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")


def _csods(**changed: Any) -> dict[str, bytes]:
    """The CSODS folder with some scenario files replaced (None removes one)."""
    files = read_folder(PROCESSES / "csods")
    for name, doc in changed.items():
        key = f"scenarios/{name.replace('_', '-')}.json"
        if doc is None:
            files.pop(key, None)
        else:
            files[key] = doc if isinstance(doc, bytes) else json.dumps(doc, indent=2).encode()
    return files


def _scenario(name: str) -> dict[str, Any]:
    return json.loads((PROCESSES / "csods" / "scenarios" / f"{name}.json").read_text())


def _results(files: dict[str, bytes]) -> dict[str, Any]:
    definition = load_files(files, "csods", roles=ROLES)
    return {r.file: r for r in run_scenarios(definition)}


@pytest.mark.parametrize("scheme", ["csods", "dvds"])
def test_every_shipped_scheme_carries_scenarios_that_pass(scheme):
    files = read_folder(PROCESSES / scheme)
    assert sum(name.startswith("scenarios/") for name in files) >= 4
    results = run_scenarios(load_files(files, scheme, roles=ROLES))
    assert [(r.file, r.reasons) for r in results if not r.passed] == []
    titles = " ".join(r.title for r in results).lower()
    assert "out of scope" in titles or "not a matter" in titles
    assert "not verified" in titles and "not to disclose" in titles


def test_a_passing_scenario_reports_the_path_and_outcome_by_name():
    result = _results(_csods())["scenarios/identity-not-verified.json"]
    assert result.passed and result.ended
    assert [s.name for s in result.path][-1] == "Verification interview"
    assert result.outcomes == ("Identity not verified",)


def test_a_wrong_expected_outcome_fails_saying_what_happened_instead():
    doc = _scenario("no-disclosure")
    doc["expect"]["outcomes"] = ["DisclosureChildSexualOffence"]
    result = _results(_csods(no_disclosure=doc))["scenarios/no-disclosure.json"]
    assert not result.passed
    assert result.reasons == (
        "Expected the case to end with outcome 'Disclosure: child sexual offences' but it "
        "ended with outcome 'No disclosure'.",)


def test_a_wrong_expected_path_names_the_first_step_that_differs():
    doc = _scenario("no-disclosure")
    doc["expect"]["path"][-1] = "ut_plan_disclosure"
    result = _results(_csods(no_disclosure=doc))["scenarios/no-disclosure.json"]
    assert not result.passed
    assert result.reasons == ("Expected step 9 to be 'Plan the disclosure' but it was "
                              "'Inform the applicant and record as intelligence'.",)


def test_a_missing_answer_names_the_task_waiting_for_it():
    doc = _scenario("identity-not-verified")
    del doc["answers"]["ut_verification_interview"]
    result = _results(_csods(identity_not_verified=doc))[
        "scenarios/identity-not-verified.json"]
    assert not result.passed and not result.ended
    assert "The scenario has no answer for 'Verification interview'." in result.reasons


def test_answers_the_form_refuses_name_the_task_and_the_field():
    doc = _scenario("identity-not-verified")
    doc["answers"]["ut_verification_interview"] = {"identity_verified": "perhaps"}
    result = _results(_csods(identity_not_verified=doc))[
        "scenarios/identity-not-verified.json"]
    assert not result.passed
    assert result.reasons[0].startswith(
        "The answers for 'Verification interview' were not accepted")


def test_a_list_of_answers_is_used_one_per_time_the_task_is_offered():
    # given: the undertaking refused once, so the decision and the disclosure come round again
    doc = _scenario("disclosure")
    delivery = doc["answers"]["ut_deliver_disclosure"]
    refused = {**delivery, "undertaking_signed": False,
               "undertaking_refusal_reason": "Would not sign"}
    doc["answers"]["ut_deliver_disclosure"] = [refused]
    result = _results(_csods(disclosure=doc))["scenarios/disclosure.json"]
    # then: a list used up is an answer missing, named with the time it is offered
    assert ("The scenario has no answer for the 2nd time 'Disclose in person and take the "
            "undertaking' is offered.") \
        in result.reasons
    # when: the second time is answered too
    doc["answers"]["ut_deliver_disclosure"] = [refused, delivery]
    doc["answers"]["ut_decision"] = [doc["answers"]["ut_decision"]] * 2
    doc["answers"]["ut_plan_disclosure"] = [doc["answers"]["ut_plan_disclosure"]] * 2
    doc["expect"]["path"] += ["ut_decision", "ut_plan_disclosure", "ut_deliver_disclosure"]
    result = _results(_csods(disclosure=doc))["scenarios/disclosure.json"]
    assert result.reasons == ()


def test_a_message_between_steps_closes_the_case():
    result = _results(_csods())["scenarios/withdrawn.json"]
    assert result.passed and result.outcomes == ("Withdrawn by the applicant",)


def test_a_timer_the_case_is_not_waiting_for_fails_in_words():
    doc = _scenario("withdrawn")
    doc["events"] = [{"after": "ut_record_enquiry", "timer": "bt_interview_overdue"}]
    result = _results(_csods(withdrawn=doc))["scenarios/withdrawn.json"]
    assert result.reasons == (
        "After 'Record the enquiry' the timer 'Interview limit passed' was not waiting.",)


def test_a_malformed_scenario_is_a_check_error_at_its_line():
    text = b'{\n  "format": 1,\n  "title": "Broken",\n  "answers": "none",\n  "expect": {}\n}\n'
    problems = [p for p in check_files(_csods(broken=text), "csods", roles=ROLES)
                if p.file == "scenarios/broken.json"]
    assert problems and all(p.severity == "error" for p in problems)
    assert {p.line for p in problems} >= {4}
    assert any("answers" in p.message for p in problems)


def test_a_scenario_that_is_not_json_is_an_error_at_the_line():
    text = b'{\n  "format": 1,\n  "title": "Broken"\n  "answers": {}\n}\n'
    (problem,) = [p for p in check_files(_csods(broken=text), "csods", roles=ROLES)
                  if p.file == "scenarios/broken.json"]
    assert problem.line == 4 and "not valid JSON" in problem.message


def test_references_to_unknown_tasks_and_outcomes_are_warned_at_their_lines_and_fail_the_run():
    doc = _scenario("out-of-scope")
    doc["answers"]["ut_no_such_task"] = {}
    doc["expect"]["outcomes"] = ["OutOfScope", "Vanished"]
    text = json.dumps(doc, indent=2)
    files = _csods(out_of_scope=text.encode())
    problems = {p.message: (p.line, p.severity) for p in check_files(files, "csods", roles=ROLES)
                if p.file == "scenarios/out-of-scope.json"}
    lines = text.splitlines()
    task_line = next(i for i, line in enumerate(lines, 1) if "ut_no_such_task" in line)
    code_line = next(i for i, line in enumerate(lines, 1) if "Vanished" in line)
    assert problems == {
        "answers: 'ut_no_such_task' is not a user task in the diagram": (task_line, "warning"),
        "expect/outcomes: 'Vanished' is not an outcome declared in scheme.json": (
            code_line, "warning"),
    }
    # a diagram edit that leaves a scenario behind still loads; the scenario fails instead
    assert _results(files)["scenarios/out-of-scope.json"].reasons == (
        "Expected the case to end with outcomes 'Out of scope' and 'Vanished' but it ended with "
        "outcome 'Out of scope'.",)


def test_scenarios_are_part_of_the_version_and_its_hash():
    with_them = load_files(_csods(), "csods", roles=ROLES)
    without = load_files(_csods(**{n: None for n in ("out_of_scope",)}), "csods", roles=ROLES)
    assert "scenarios/out-of-scope.json" in with_them.files
    assert with_them.content_hash != without.content_hash


def test_a_timer_between_steps_falls_due_and_its_task_is_answered():
    # given: the 24-hour limit passes once the enquiry is recorded
    doc = _scenario("out-of-scope")
    doc["events"] = [{"after": "ut_record_enquiry", "timer": "bt_initial_overdue"}]
    samples = PROCESSES / "csods" / "forms" / "samples"
    doc["answers"]["ut_review_initial_breach"] = json.loads(
        (samples / "breach_review.json").read_text())
    doc["expect"]["path"].append("Review breach: initial checks overdue")
    doc["expect"]["in_order"] = False
    result = _results(_csods(out_of_scope=doc))["scenarios/out-of-scope.json"]
    assert result.reasons == ()
    assert "ut_review_initial_breach" in [s.bpmn_id for s in result.path]
