"""scheme.json: read into Definition.scheme, and every broken reference refused with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import DefinitionInvalid, check_files, load_files
from engine.definitions import read_folder

CSODS = Path(__file__).resolve().parents[2] / "processes" / "csods"
ROLES = ["contact_handler", "case_officer", "decision_maker", "disclosure_officer"]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return read_folder(CSODS)


def _errors(files: dict[str, bytes]) -> list[str]:
    return [str(p) for p in check_files(files, "csods", roles=ROLES) if p.severity == "error"]


def _edited(files: dict[str, bytes], old: str, new: str, name: str = "scheme.json"
            ) -> dict[str, bytes]:
    text = files[name].decode()
    assert old in text
    return {**files, name: text.replace(old, new, 1).encode()}


def test_declarations_are_read(files: dict[str, bytes]) -> None:
    scheme = load_files(files, "csods", roles=ROLES).scheme
    assert scheme.role_for_lane("Decision maker") == "decision_maker"
    assert scheme.clock("initial").breach_timer == "bt_initial_overdue"
    assert scheme.defaults()["limit_overall"] == "P45D"
    assert scheme.party_names({"applicant": {"first_name": "Ann", "last_name": "Lee"},
                               "children": [{"first_name": "Bo"}, {}]}) == {
        "applicant": ["Ann Lee"], "children": ["Bo"]}
    assert scheme.party_people({"subject": {"first_name": "Dean", "last_name": "Marsh",
                                            "aliases": ["Deano", ""], "date_of_birth": "1984-02-11",
                                            "postcode": "SG1 2AB"}}) == {
        "subject": [{"name": "Dean Marsh", "aliases": ["Deano"],
                     "date_of_birth": ["1984-02-11"]}]}  # the subject declares no postcode
    assert scheme.risks({"immediate_risk": True}) == ["immediate_risk"]
    assert scheme.risks({"immediate_risk": "yes"}) == []
    assert scheme.s62_operation("ut_deliver_disclosure") == "disclose"
    assert scheme.outcome_label("NoDisclosure") == "No disclosure"
    assert scheme.retention(["NoDisclosure", "SafeguardingReferral"]) == "public_protection"
    assert scheme.shown_for("ut_deliver_disclosure") == (("disclosure_plan.schema.json", None),)
    assert scheme.shown_for("ut_record_enquiry") == ()


def test_a_renamed_breach_timer_is_an_error_at_the_line_of_the_declaration(
        files: dict[str, bytes]) -> None:
    edited = _edited(files, 'id="bt_initial_overdue"', 'id="bt_first_overdue"', "csods.bpmn")
    edited = _edited(edited, "bt_initial_overdue</bpmn:", "bt_first_overdue</bpmn:", "csods.bpmn")
    errors = _errors(edited)
    line = next(n for n, text in enumerate(files["scheme.json"].decode().splitlines(), 1)
                if "bt_initial_overdue" in text)
    assert any(e.startswith(f"scheme.json:{line}:") and "bt_initial_overdue" in e
               for e in errors), errors


@pytest.mark.parametrize(("old", "new", "words"), [
    ('"limit": "limit_initial"', '"limit": "limit_nowhere"', "not a duration parameter"),
    ('"field": "applicant"', '"field": "applicant_person"', "no form has a field"),
    ('"Decision maker": "decision_maker"', '"Decision maker": "chief"', "is not a role"),
    ('"intake": "ut_record_enquiry"', '"intake": "ut_nothing"', "is not a user task"),
    ('"message": "ApplicantWithdraws"', '"message": "Gone"', "is not defined in the diagram"),
    ('"recipient": "recipient"}', '"recipient": "nobody"}', "is not a declared party"),
    ('"aliases": "aliases"', '"aliases": "nicknames"',
     "no form has a field 'nicknames' in 'subject' (its aliases)"),
    ('"phone": "safe_contact_details"', '"mobile": "safe_contact_details"', "mobile"),
    ('"default": "PT24H"', '"default": "24 hours"', "is not a duration"),
    ('"format": 1', '"format": 2', "format"),
    ('"met_by": ["ut_initial_checks"]', '"met_by": ["ca_enquiry"]', "is not a user task"),
    ('"ut_deliver_disclosure": ["disclosure_plan"]', '"ut_deliver_disclosure": ["plan"]',
     "shows: no form 'plan.schema.json'"),
    ('"ut_deliver_disclosure": ["disclosure_plan"]',
     '"ut_deliver_disclosure": ["disclosure_plan.nowhere"]', "has no field 'nowhere'"),
    ('"ut_deliver_disclosure": ["disclosure_plan"]', '"ut_deliver": ["disclosure_plan"]',
     "shows: 'ut_deliver' is not a user task"),
    ('"ut_deliver_disclosure": ["disclosure_plan"]', '"ut_deliver_disclosure": ["../x"]',
     "shows/ut_deliver_disclosure/0"),
])
def test_broken_references_are_errors(files: dict[str, bytes], old: str, new: str,
                                      words: str) -> None:
    errors = _errors(_edited(files, old, new))
    assert any(e.startswith("scheme.json:") and words in e for e in errors), errors
    assert not any(e.startswith("scheme.json:0:") for e in errors)


def test_an_undeclared_lane_and_outcome_code_point_at_the_diagram(files: dict[str, bytes]
                                                                   ) -> None:
    edited = _edited(files, '"Withdrawn": {"label"', '"Gone": {"label"')
    edited = _edited(edited, '"Disclosure officer": "disclosure_officer"',
                     '"Disclosure lead": "disclosure_officer"')
    errors = _errors(edited)
    assert any(e.startswith("csods.bpmn:") and "'Withdrawn' is not declared" in e
               for e in errors), errors
    assert any(e.startswith("csods.bpmn:") and "lane 'Disclosure officer' has no role" in e
               for e in errors), errors


def test_the_product_refuses_a_definition_without_declarations(files: dict[str, bytes]) -> None:
    bare = {k: v for k, v in files.items() if k != "scheme.json"}
    with pytest.raises(DefinitionInvalid, match="no scheme.json"):
        load_files(bare, "csods", roles=ROLES)
    assert load_files(bare, "csods").scheme.declared is False


def test_not_json_and_wrong_shapes_are_reported_with_lines(files: dict[str, bytes]) -> None:
    assert any("not valid JSON" in e for e in _errors({**files, "scheme.json": b"{"}))
    doc = json.loads(files["scheme.json"])
    doc["clocks"][0]["colour"] = "red"
    errors = _errors({**files, "scheme.json": json.dumps(doc, indent=1).encode()})
    assert any("clocks/0" in e and "colour" in e for e in errors), errors
