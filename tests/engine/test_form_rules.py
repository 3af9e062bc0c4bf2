"""Date rules declared in UI schemas, validation messages in the form's words, and the lint of
those declarations (file and line)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine import EngineError
from engine.definitions import check_files, read_folder
from engine.form_rules import rule_errors
from engine.form_validation import validate_form_data
from tests import factories

NOW = date(2026, 12, 7)
SCHEMA = {
    "type": "object", "required": ["heard_on"], "properties": {
        "heard_on": {"type": "string", "format": "date", "title": "Date heard"},
        "decided_on": {"type": "string", "format": "date", "title": "Decided on"},
        "person": {"type": "object", "title": "Young person", "properties": {
            "date_of_birth": {"type": "string", "format": "date", "title": "Date of birth"}}},
        "postcode": {"type": "string", "title": "Postcode", "maxLength": 8,
                     "pattern": "^[A-Z0-9 ]+$", "examples": ["AL10 9AB"]}}}
UI = {"heard_on": {"ui:notAfter": "today"},
      "decided_on": {"ui:notBefore": "heard_on", "ui:notAfter": "today"},
      "person": {"date_of_birth": {"ui:ageAtLeast": 10, "ui:ageUnder": 18}}}


def _errors(data, ui=UI):
    with pytest.raises(EngineError) as caught:
        validate_form_data(SCHEMA, data, ui)
    return caught.value.field_errors


@pytest.mark.parametrize(("data", "expected"), [
    ({"heard_on": "2026-12-08"}, {"heard_on": ["The date heard must be today or in the past"]}),
    ({"heard_on": "2026-12-07", "decided_on": "2026-12-06"},
     {"decided_on": ["The ‘Decided on’ date must be the same as or after the date heard"]}),
    ({"heard_on": "2026-12-01", "person": {"date_of_birth": "2008-12-07"}},
     {"person/date_of_birth": ["The young person must be under 18 years old"]}),
    ({"heard_on": "2026-12-01", "person": {"date_of_birth": "2016-12-08"}},
     {"person/date_of_birth": ["The young person must be at least 10 years old"]}),
    ({"heard_on": "2026-12-07", "decided_on": "2026-12-07",
      "person": {"date_of_birth": "2008-12-08"}}, {}),
])
def test_date_rules_compare_with_today_other_fields_and_ages(data, expected):
    assert rule_errors(SCHEMA, UI, data, skip={}, now=NOW) == expected


def test_a_rule_message_can_be_worded_by_the_policy_lead():
    ui = {"heard_on": {"ui:notAfter": "today",
                       "ui:errorMessages": {"notAfter": "The date heard must be in the past",
                                            "required": "Enter the date you heard"}}}
    assert _errors({"heard_on": "2999-01-01"}, ui) == {
        "heard_on": ["The date heard must be in the past"]}
    assert _errors({}, ui) == {"heard_on": ["Enter the date you heard"]}


def test_schema_errors_read_as_gov_uk_messages_one_per_answer():
    errors = _errors({"heard_on": "2026-2-", "postcode": "not a postcode 123"})
    assert errors == {"heard_on": ["The date heard must include a day"],
                      "postcode": ["The postcode must be 8 characters or fewer"]}
    assert _errors({"heard_on": "2026-02-01", "postcode": "bad!"}) == {
        "postcode": ["Enter the postcode, like AL10 9AB"]}


def test_every_scheme_declares_its_rules_soundly_and_its_samples_keep_them():
    for folder in (factories.CSODS, factories.CSODS.parent / "dvds"):
        files = read_folder(folder)
        assert [str(p) for p in check_files(files, folder.name) if p.severity == "error"] == []
        for sample in (folder / "forms" / "samples").glob("*.json"):
            schema = json.loads(files[f"forms/{sample.stem}.schema.json"])
            ui = json.loads(files.get(f"forms/{sample.stem}.ui.json", b"{}"))
            validate_form_data(schema, json.loads(sample.read_text()), ui)


def test_a_broken_declaration_is_reported_with_its_file_and_line():
    files = read_folder(factories.CSODS)
    ui = json.loads(files["forms/enquiry.ui.json"])
    ui["enquiry_date"]["ui:default"] = "tomorrow"
    ui["children"]["items"]["date_of_birth"]["ui:ageUnder"] = "18"
    ui["applicant"]["postcode"]["ui:notAfter"] = "today"
    ui["subject"]["date_of_birth"]["ui:notBefore"] = "nonesuch"
    ui["concern"]["ui:errorMessages"] = {"tooLong": "Shorter, please"}
    text = json.dumps(ui, indent=2)
    files["forms/enquiry.ui.json"] = text.encode()
    lines = text.splitlines()

    problems = {p.message: p for p in check_files(files, "csods") if p.severity == "error"}
    expected = {
        "/enquiry_date/ui:default: 'ui:default' may only be 'today', not 'tomorrow'":
            '"ui:default": "tomorrow"',
        "/children/items/date_of_birth/ui:ageUnder: 'ui:ageUnder' must be a whole number of "
        "years from 1 to 150": '"ui:ageUnder": "18"',
        "/applicant/postcode/ui:notAfter: 'ui:notAfter' is declared on a field that is not a "
        "date (format 'date')": '"ui:notAfter": "today"',
        "/subject/date_of_birth/ui:notBefore: 'ui:notBefore' must be 'today' or the name of a "
        "date field of the same group or the top level, not 'nonesuch'":
            '"ui:notBefore": "nonesuch"',
        "/concern/ui:errorMessages/tooLong: 'tooLong' is not a keyword a message can be given "
        "for": '"tooLong": "Shorter, please"',
    }
    assert set(problems) == set(expected)
    for message, source in expected.items():
        problem = problems[message]
        assert problem.file == "forms/enquiry.ui.json"
        assert problem.line is not None and source in lines[problem.line - 1], message


def test_an_answer_another_answer_rules_out_says_what_to_choose():
    schema = {"type": "object", "properties": {
        "decision": {"type": "string", "title": "Decision", "enum": ["disclose", "no"],
                     "enumNames": ["Disclose", "Do not disclose"]},
        "lawful": {"type": "boolean", "title": "Disclosure would be lawful"}},
        "if": {"properties": {"decision": {"const": "disclose"}}, "required": ["decision"]},
        "then": {"properties": {"lawful": {"const": True}}}}
    with pytest.raises(EngineError) as caught:
        validate_form_data(schema, {"decision": "disclose", "lawful": False})
    assert caught.value.field_errors == {"lawful": [
        "Select ‘Yes’ for ‘Disclosure would be lawful’, or change your other answers"]}
