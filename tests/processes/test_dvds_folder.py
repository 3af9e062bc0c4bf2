"""The Clare's Law scheme folder holds together: every form has a valid sample, the lint passes,
scheme.json names only what the diagram has, and every demo plan runs to where it says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from engine import ProcessInstance, load_folder, validate_form_data
from engine.simulation import drive

ROOT = Path(__file__).resolve().parents[2]
DVDS = ROOT / "processes" / "dvds"
FORMS = DVDS / "forms"
SAMPLES = {p.stem: json.loads(p.read_text()) for p in (FORMS / "samples").glob("*.json")}
SCHEMAS = {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
           for p in FORMS.glob("*.schema.json")}
SCHEME = json.loads((DVDS / "scheme.json").read_text())
DEMO = json.loads((DVDS / "demo.json").read_text())
LANES = set(SCHEME["lanes"])
ROLES = {"contact_handler", "case_officer", "decision_maker", "disclosure_officer"}
FORCE = {name: p["default"] for name, p in SCHEME["parameters"].items()} | {"outcome_codes": []}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
BPMN = etree.parse(str(DVDS / "dvds.bpmn")).getroot()


def _ids(tag: str) -> set[str]:
    return {e.get("id") for e in BPMN.iterfind(f".//bpmn:{tag}", NS)}


def _task_forms() -> dict[str, str]:
    return {t.get("id"): p.get("value").removesuffix(".schema.json")
            for t in BPMN.iterfind(".//bpmn:userTask", NS)
            for p in t.iterfind(".//spiffworkflow:property", NS)
            if p.get("name") == "formJsonSchemaFilename"}


TASK_FORMS = _task_forms()


def _fields(schema: Any) -> set[str]:
    """Top-level property names of every form."""
    return set(schema.get("properties", {}))


ALL_FIELDS = set().union(*(_fields(s) for s in SCHEMAS.values()))


@pytest.mark.parametrize("form", sorted(SCHEMAS))
def test_every_form_has_a_sample_that_validates(form):
    schema = SCHEMAS[form]
    Draft202012Validator.check_schema(schema)
    errors = [e.message for e in Draft202012Validator(
        schema, format_checker=FormatChecker()).iter_errors(SAMPLES[form])]
    assert errors == []
    validate_form_data(schema, SAMPLES[form])  # what the engine checks when a task completes


def test_every_sample_belongs_to_a_form_and_every_task_to_a_form_with_a_sample():
    assert set(SAMPLES) == set(SCHEMAS)
    assert set(TASK_FORMS.values()) == set(SCHEMAS)
    for form in SCHEMAS:
        assert (FORMS / f"{form}.ui.json").is_file()


@pytest.mark.parametrize("form", sorted(SCHEMAS))
def test_every_choice_carries_the_words_people_read(form):
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert "enum" not in node or len(node.get("enumNames", [])) == len(node["enum"])
            for alt in node.get("oneOf", []):
                assert "const" not in alt or alt.get("title"), alt
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(SCHEMAS[form])


def test_process_check_reports_no_problem_for_the_scheme():
    result = subprocess.run([sys.executable, "manage.py", "process_check", "processes/dvds"],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "processes/dvds: ok" in result.stdout


def test_the_folder_loads_with_its_top_level_process_named_after_it():
    definition = load_folder(DVDS, roles=ROLES)
    assert definition.process_id == "dvds"
    assert definition.warnings == ()  # the declaration's lint has nothing to say either
    assert {"1. Initial contact and immediate-risk check", "1. Immediate action",
            "2. Face-to-face meeting", "3. Checks and risk assessment",
            "4. Multi-agency forum decision", "5a. Disclosure in person",
            "5b. No disclosure"} <= set(definition.stage_names())


def test_scheme_lanes_cover_every_lane_with_a_product_role():
    lanes = {lane.get("name") for lane in BPMN.iterfind(".//bpmn:lane", NS)}
    assert lanes == set(SCHEME["lanes"])
    assert set(SCHEME["lanes"].values()) <= ROLES


def test_scheme_task_references_are_user_tasks():
    user_tasks = _ids("userTask")
    s62 = SCHEME["s62"]
    named = [SCHEME["intake"], *s62["collect"], *s62["combine"],
             *(d["task"] for d in s62["disclose"])]
    assert set(named) <= user_tasks
    parties = {p["key"] for p in SCHEME["parties"]}
    assert {d["recipient"] for d in s62["disclose"]} <= parties
    start = BPMN.find(".//bpmn:process[@id='dvds']/bpmn:startEvent", NS)
    first = BPMN.find(f".//bpmn:sequenceFlow[@sourceRef='{start.get('id')}']", NS)
    assert first.get("targetRef") == SCHEME["intake"]


def test_scheme_clocks_name_their_activity_and_breach_timer():
    for clock in SCHEME["clocks"]:
        assert SCHEME["parameters"][clock["limit"]]["type"] == "duration"
        if clock["activity"]:
            assert clock["activity"] in _ids("callActivity")
        timer = BPMN.find(f".//*[@id='{clock['breach_timer']}']", NS)
        assert timer is not None
        duration = timer.find(".//bpmn:timeDuration", NS)
        assert duration.text.strip() == clock["limit"]
        if clock["activity"]:
            assert timer.get("attachedToRef") == clock["activity"]
            assert timer.get("cancelActivity") == "false"
        else:
            assert timer.get("isInterrupting") == "false"


def test_every_parameter_the_diagram_reads_is_declared():
    timers = {e.text.strip() for e in BPMN.iterfind(".//bpmn:timeDuration", NS)}
    assert timers == set(SCHEME["parameters"])


def test_scheme_parties_and_risk_markers_are_form_fields():
    for party in SCHEME["parties"]:
        assert party["field"] in ALL_FIELDS, party
        assert set(party.get("hidden_from", [])) <= ROLES
    for marker in SCHEME["risk_markers"]:
        assert marker["field"] in ALL_FIELDS
    assert SCHEMAS["initial_check"]["properties"]["immediate_risk"]["type"] == "boolean"


def test_every_outcome_code_a_script_appends_is_declared_with_a_label_and_retention():
    scripts = " ".join(e.text or "" for e in BPMN.iterfind(".//bpmn:script", NS))
    appended = set(re.findall(r'"([A-Z][A-Za-z]+)"', scripts))
    assert appended == set(SCHEME["outcomes"])
    for outcome in SCHEME["outcomes"].values():
        assert outcome["label"] and outcome["retention"] in ("public_protection", "other")
        assert set(outcome.get("counts", [])) <= set(SCHEME["returns"])
    protection = {c for c, o in SCHEME["outcomes"].items() if o["retention"] == "public_protection"}
    assert protection == {"Disclosure", "ImmediateAction", "SafeguardingReferral",
                          "ActionAgainstSubject", "MaracReferral"}


def test_the_withdraw_message_exists_in_the_diagram():
    names = {m.get("name") for m in BPMN.iterfind(".//bpmn:message", NS)}
    assert SCHEME["messages"]["withdraw"]["message"] in names


def test_the_engine_reads_the_declaration_as_people_will_see_it():
    scheme = load_folder(DVDS, roles=ROLES).scheme
    assert (scheme.title, scheme.short_title, scheme.case_noun) == (
        "Domestic Violence Disclosure Scheme", "Clare's Law", "application")
    assert scheme.intake == "ut_dv_record_application"
    assert scheme.role_for_lane("Decision maker") == "decision_maker"
    right_to_ask = {**SAMPLES["application"], "applicant": {"first_name": "Janet",
                                                            "last_name": "Marsh"}}
    data = {**right_to_ask, **SAMPLES["forum_decision"]}
    assert scheme.party_names(data) == {
        "applicant": ["Janet Marsh"], "person_at_risk": ["Chloe Marsh"],
        "subject": ["Ryan Tate"], "children": ["Alfie Marsh"], "recipient": ["Chloe Marsh"]}
    assert scheme.party("subject").hidden_from == ("contact_handler",)
    assert scheme.s62_operation("ut_dv_record_application") == "collect"
    assert scheme.s62_operation("ut_dv_partner_checks") == "combine"
    assert scheme.s62_operation("ut_dv_deliver_disclosure") == "disclose"
    assert scheme.s62_operation("ut_dv_forum_decision") == "alter"
    assert scheme.disclosure_recipient("ut_dv_deliver_disclosure") == "recipient"
    assert scheme.risks({"immediate_risk": True}) == ["immediate_risk"]
    assert scheme.risks(SAMPLES["initial_check"]) == []
    assert scheme.retention(("RightToKnow", "OutOfScope")) == "other"
    assert scheme.retention(("RightToAsk", "Withdrawn", "MaracReferral")) == "public_protection"
    assert scheme.counted_codes("right_to_ask") == ("RightToAsk",)
    assert scheme.counted_codes("right_to_know") == ("RightToKnow",)
    assert scheme.counted_codes("disclosure") == ("Disclosure",)
    assert scheme.outcome_label("NoDisclosure") == "No disclosure"
    assert scheme.message("withdraw").message == "ApplicantWithdraws"
    assert scheme.clock("initial").breach_timer == "bt_dv_initial_overdue"
    assert scheme.clock("overall").activity is None


def _demo_run(plan: dict[str, Any]) -> tuple[ProcessInstance, list[str]]:
    definition = load_folder(DVDS, roles=ROLES)
    extra = plan.get("answers", {})
    answers = {task: {**SAMPLES[form], **extra.get(task, {})} for task, form in TASK_FORMS.items()}
    instance = ProcessInstance.start(definition, FORCE)
    instance, steps = drive(instance, answers, lanes=LANES, stop_at=plan.get("stop", ()))
    return instance, [s.bpmn_id for s in steps]


@pytest.mark.parametrize("number", range(len(DEMO["plans"])))
def test_each_demo_plan_runs_to_where_it_says(number):
    plan = DEMO["plans"][number]
    assert set(plan.get("answers", {})) <= set(TASK_FORMS)
    instance, _ = _demo_run(plan)
    if plan.get("stop"):
        assert set(plan["stop"]) & {t.bpmn_id for t in instance.human_tasks()}
        if plan.get("withdraw"):
            assert instance.send_message("ApplicantWithdraws", {}).status == "completed"
    else:
        assert instance.status().status == "completed"


def test_the_demo_covers_every_stage_of_both_routes_and_the_closing_outcomes():
    reached: set[tuple[str, str]] = set()
    codes: set[str] = set()
    for plan in DEMO["plans"]:
        instance, _ = _demo_run(plan)
        route = instance.data()["route"]
        reached |= {(route, t.stage or "") for t in instance.human_tasks()}
        if plan.get("withdraw"):
            instance.send_message("ApplicantWithdraws", {})
        codes |= set(instance.status().outcome_codes)
    stages = {stage for _, stage in reached}
    assert {"1. Initial contact and immediate-risk check", "1. Immediate action",
            "2. Face-to-face meeting", "3. Checks and risk assessment",
            "4. Multi-agency forum decision", "5a. Disclosure in person"} <= stages
    for stage in ("1. Initial contact and immediate-risk check", "3. Checks and risk assessment",
                  "4. Multi-agency forum decision"):
        assert {("right_to_ask", stage), ("right_to_know", stage)} <= reached
    assert {"RightToAsk", "RightToKnow", "Withdrawn", "OutOfScope", "IdentityNotVerified",
            "NoDisclosure", "Disclosure", "MaracReferral"} <= codes
    assert set(DEMO["vary_names"]) <= {p["key"] for p in SCHEME["parties"]}


@pytest.mark.parametrize(("route", "received_via", "ok"), [
    ("right_to_know", "partner_agency", True), ("right_to_know", "phone", False),
    ("right_to_ask", "online", True), ("right_to_ask", "incident", False),
])
def test_how_it_came_in_must_fit_the_route(route, received_via, ok):
    applicant = {"first_name": "Janet", "last_name": "Marsh", "safe_contact_method": "phone",
                 "safe_contact_details": "07700 900789",
                 "relationship_to_person_at_risk": "parent"}
    data = {**SAMPLES["application"], "route": route, "received_via": received_via}
    if route == "right_to_ask":
        data["applicant"] = applicant
    errors = list(Draft202012Validator(SCHEMAS["application"]).iter_errors(data))
    assert (errors == []) is ok


def test_right_to_ask_needs_an_applicant():
    data = {**SAMPLES["application"], "route": "right_to_ask", "received_via": "phone"}
    errors = list(Draft202012Validator(SCHEMAS["application"]).iter_errors(data))
    assert [e.message for e in errors] == ["'applicant' is a required property"]
