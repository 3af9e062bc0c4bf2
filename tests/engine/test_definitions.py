"""Definitions validate against the XSD, lint every expression and reference, and hash content."""

from __future__ import annotations

import pytest

from engine import DefinitionInvalid, check_files, load_files
from engine.definitions import content_hash


def _mutate(files: dict[str, bytes], old: str, new: str, name: str = "") -> dict[str, bytes]:
    name = name or ("scheme.json" if old in files["scheme.json"].decode() else "mini.bpmn")
    text = files[name].decode()
    assert old in text, old
    return {**files, name: text.replace(old, new, 1).encode()}


def _line_of(files: dict[str, bytes], needle: str) -> int:
    for number, line in enumerate(files["mini.bpmn"].decode().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _errors(files, lanes=None):
    return [p for p in check_files(files, "mini", lanes=lanes) if p.severity == "error"]


def test_the_fixture_loads_clean(mini):
    assert mini.process_id == "mini"
    assert mini.warnings == ()
    assert set(mini.forms) == {"enter.schema.json", "approve.schema.json"}


def test_content_hash_identifies_a_version(mini_files):
    same = content_hash(dict(mini_files))
    changed = content_hash(_mutate(mini_files, 'name="Score"', 'name="Score it"'))
    assert same == content_hash(mini_files)
    assert changed != same
    assert load_files(mini_files, "mini").content_hash == same


def test_dangling_outgoing_flow_is_reported_with_line_and_element(mini_files):
    files = _mutate(mini_files, "<bpmn:outgoing>f_high</bpmn:outgoing>",
                    "<bpmn:outgoing>f_high</bpmn:outgoing><bpmn:outgoing>f_ghost</bpmn:outgoing>")
    errors = _errors(files)
    ghost = [e for e in errors if "f_ghost" in e.message]
    assert ghost, errors
    assert ghost[0].element_id == "gw_risk"
    assert ghost[0].line == _line_of(files, "f_ghost")
    assert ghost[0].file == "mini.bpmn"


def test_flow_to_a_missing_element_is_reported(mini_files):
    files = _mutate(mini_files, 'targetRef="end_high"', 'targetRef="end_nowhere"')
    assert any("end_nowhere" in e.message and e.element_id == "f_approve" for e in _errors(files))


def test_condition_that_escapes_the_sandbox_is_rejected_at_lint(mini_files):
    files = _mutate(mini_files, "score &gt;= 20", "__import__('os').system('id') == 0")
    errors = _errors(files)
    assert any(e.element_id == "f_high" and "cannot run" in e.message for e in errors), errors
    with pytest.raises(DefinitionInvalid) as caught:
        load_files(files, "mini")
    assert "f_high" in str(caught.value)


def test_script_syntax_error_is_reported_with_its_line(mini_files):
    files = _mutate(mini_files, "score = sum(", "score = = sum(")
    errors = _errors(files)
    assert any(e.element_id == "st_score" and e.line == _line_of(files, "score = = sum")
               for e in errors), errors


def test_unquoted_timer_is_reported(mini_files):
    files = _mutate(mini_files, ">limit_initial</bpmn:timeDuration>",
                    ">'PT-banana'</bpmn:timeDuration>")
    errors = _errors(files)
    assert any(e.element_id == "timer_sla_def" and "ISO 8601" in e.message for e in errors), errors


def test_timer_giving_a_number_is_reported(mini_files):
    files = _mutate(mini_files, ">limit_initial</bpmn:timeDuration>", ">24</bpmn:timeDuration>")
    assert any("ISO 8601 string" in e.message for e in _errors(files))


def test_user_task_outside_any_lane_is_reported(mini_files):
    files = _mutate(mini_files, "<bpmn:flowNodeRef>ut_approve</bpmn:flowNodeRef>", "")
    assert any(e.element_id == "ut_approve" and "not in a lane" in e.message
               for e in _errors(files))


def test_unknown_lane_is_reported_when_lanes_are_given(mini_files):
    bare = {k: v for k, v in mini_files.items() if k != "scheme.json"}
    errors = _errors(bare, lanes={"Case officer"})
    assert any("in the lane 'Decision maker', which is not one of" in e.message for e in errors)


def test_a_lane_the_declaration_does_not_map_is_reported(mini_files):
    files = _mutate(mini_files, '"Decision maker": "decision_maker"', '"Chief": "decision_maker"')
    assert any(e.element_id == "lane_dm" and "has no role" in e.message and e.line
               for e in _errors(files))


def test_missing_form_is_reported(mini_files):
    files = {k: v for k, v in mini_files.items() if k != "forms/approve.schema.json"}
    errors = _errors(files)
    assert {e.element_id for e in errors if "approve.schema.json" in e.message} == {
        "ut_approve", "ut_breach"}


def test_form_with_reserved_field_name_is_reported(mini_files):
    text = mini_files["forms/approve.schema.json"].decode().replace('"rationale"', '"typename"')
    errors = _errors({**mini_files, "forms/approve.schema.json": text.encode()})
    assert any("typename" in e.message for e in errors), errors


def test_invalid_json_schema_form_is_reported(mini_files):
    text = mini_files["forms/approve.schema.json"].decode().replace('"boolean"', '"yes-no"')
    errors = _errors({**mini_files, "forms/approve.schema.json": text.encode()})
    assert any(e.file == "forms/approve.schema.json" for e in errors), errors


def test_xsd_violation_reports_its_line(mini_files):
    files = _mutate(mini_files, '<bpmn:endEvent id="end_high"', '<bpmn:notAThing id="x"/>\n'
                    '    <bpmn:endEvent id="end_high"')
    errors = _errors(files)
    assert any(e.line == _line_of(files, "notAThing") for e in errors), errors


def test_semantic_error_without_a_line_gets_one_from_the_element_id(mini_files):
    # SpiffWorkflow reports a call to a missing process without a line number.
    files = _mutate(mini_files, '<bpmn:scriptTask id="st_score" name="Score">',
                    '<bpmn:callActivity id="call_x" calledElement="nope" />\n'
                    '    <bpmn:scriptTask id="st_score" name="Score">')
    errors = _errors(files)
    called = [e for e in errors if e.element_id == "call_x"]
    assert called and called[0].line == _line_of(files, 'id="call_x"'), errors


def test_instruction_template_error_is_reported(mini_files):
    files = _mutate(mini_files, "{{ applicant.name }}", "{{ applicant.name ")
    assert any(e.element_id == "ut_enter" and "template" in e.message for e in _errors(files))


def test_service_tasks_are_refused(mini_files):
    files = _mutate(mini_files, '<bpmn:scriptTask id="st_score" name="Score">',
                    '<bpmn:serviceTask id="svc" />\n'
                    '    <bpmn:scriptTask id="st_score" name="Score">')
    assert any(e.element_id == "svc" and "cannot run here" in e.message for e in _errors(files))


def test_problem_prints_as_file_line_element_message(mini_files):
    files = _mutate(mini_files, "score &gt;= 20", "score &gt;=")
    text = str(next(e for e in _errors(files) if e.element_id == "f_high"))
    assert text.startswith(f"mini.bpmn:{_line_of(files, 'score &gt;=')}: f_high: ")
