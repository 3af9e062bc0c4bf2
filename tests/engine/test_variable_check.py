"""Variables read by instructions, conditions and scripts that nothing provides are errors at
the line that reads them; what forms, scripts, decision tables and the scheme provide is not."""

from __future__ import annotations

import json

from engine import check_files
from tests.engine.checker_diagrams import SCHEME, files, flow, line_of, node, user_task

START = node("startEvent", "s", name="Start", outgoing="f_s")
END = node("endEvent", "e", name="Done", incoming="f_e")


def _body(instructions: str = "", script: str = "", condition: str = "") -> str:
    """Start -> 'Assess' -> script 'Work out' -> gateway 'Disclose?' -> Done."""
    return (START + flow("f_s", "s", "a")
            + user_task("a", "Assess", "f_s", "f_a", instructions=instructions)
            + flow("f_a", "a", "st")
            + node("scriptTask", "st", name="Work out", incoming="f_a", outgoing="f_st",
                   inner=f"      <bpmn:script>{script or 'score = 1'}</bpmn:script>\n")
            + flow("f_st", "st", "gw")
            + node("exclusiveGateway", "gw", name="Disclose?", incoming="f_st",
                   outgoing="f_yes f_e", attrs=' default="f_e"')
            + flow("f_yes", "gw", "e2", condition=condition or "score &gt; 0", name="Yes")
            + node("endEvent", "e2", incoming="f_yes")
            + flow("f_e", "gw", "e") + END)


def _undefined(diagram: dict[str, bytes]) -> list:
    return [p for p in check_files(diagram, "p", lanes={"Case officer"})
            if "gives '" in p.message]


def test_an_undefined_variable_in_instructions_is_an_error_at_its_line():
    diagram = files(_body(instructions="Ring about case {{ case_ref }}: {{ notes }}."))
    (problem,) = _undefined(diagram)
    assert problem.severity == "error"
    assert problem.element_id == "a"
    assert problem.message == (
        "The instructions of the user task 'Assess' use 'case_ref', but no form, script, "
        "decision table or scheme setting gives 'case_ref' a value, so it will always be "
        "empty or fail. Check the spelling, or add a field called 'case_ref' to the form of a "
        "task that comes before it.")
    assert problem.line == line_of(diagram["p.bpmn"], "{{ case_ref }}") > 0


def test_template_loop_variables_and_globals_are_not_undefined():
    text = ("{% for c in notes %}{{ loop.index }} {{ c }}{% endfor %}"
            "{% set n = decision %}{{ n }} {{ range(3) | list }}")
    assert _undefined(files(_body(instructions=text))) == []


def test_an_undefined_variable_in_a_condition_names_the_way_out():
    diagram = files(_body(condition="risk_score &gt; 10"))
    (problem,) = _undefined(diagram)
    assert problem.element_id == "f_yes"
    assert problem.message.startswith(
        "The condition on the way 'Yes' out of the exclusive gateway 'Disclose?' uses "
        "'risk_score', but no form")
    assert problem.line == line_of(diagram["p.bpmn"], "risk_score")


def test_an_undefined_variable_in_a_script_is_found_at_its_own_line():
    script = "total = 1\nscore = total + bonus"
    diagram = files(_body(script=script))
    (problem,) = _undefined(diagram)
    assert problem.message.startswith("The script of the script task 'Work out' uses 'bonus'")
    assert problem.line == line_of(diagram["p.bpmn"], "score = total + bonus")


def test_form_fields_script_results_and_sandbox_names_are_provided():
    script = ("total = len(notes) + (1 if urgent else 0)\nwhen = timedelta(days=1)\n"
              "score = sum(x for x in [total])")
    diagram = files(_body(instructions="{{ decision }} {{ total }} {{ outcome_codes }}",
                          script=script, condition="total &gt; max(1, score)"))
    assert _undefined(diagram) == []


def test_scheme_parameters_and_dmn_outputs_are_provided():
    diagram = files(_body(instructions="Within {{ limit_initial }}: {{ recommended }}"))
    scheme = {**SCHEME, "parameters": {"limit_initial": {"type": "duration",
                                                          "default": "PT24H"}}}
    dmn = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D"
             namespace="http://example.org">
  <decision id="rec" name="Recommend">
    <decisionTable id="t">
      <input id="i1" label="Urgent">
        <inputExpression id="ie1" typeRef="boolean"><text>urgent and not overdue</text>
        </inputExpression>
      </input>
      <output id="o1" name="recommended" typeRef="string" />
    </decisionTable>
  </decision>
</definitions>
"""
    problems = _undefined({**diagram, "scheme.json": json.dumps(scheme).encode(),
                           "rec.dmn": dmn})
    # the parameter and the table's output are provided; the table's own input is not
    (problem,) = problems
    assert problem.file == "rec.dmn"
    assert problem.message.startswith(
        "The input 'Urgent' of the decision table 'Recommend' uses 'overdue'")
    assert problem.line == line_of(dmn, "not overdue")


def test_without_declarations_an_undefined_variable_is_a_warning():
    diagram = files(_body(instructions="{{ case_ref }}"))
    del diagram["scheme.json"]
    (problem,) = _undefined(diagram)
    assert problem.severity == "warning"


def test_an_unquoted_timer_duration_is_read_as_the_literal_not_a_variable():
    # Camunda and the BPMN MIWG files write PT1H without quotes (engine.construct_check).
    timer = ('      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>PT1H'
             "</bpmn:timeDuration></bpmn:timerEventDefinition>\n")
    body = (START + flow("f_s", "s", "a") + user_task("a", "Assess", "f_s", "f_a")
            + flow("f_a", "a", "wait")
            + node("intermediateCatchEvent", "wait", name="Wait an hour", incoming="f_a",
                   outgoing="f_e", inner=timer)
            + flow("f_e", "wait", "e") + END)
    assert [p for p in check_files(files(body), "p") if "PT1H" in p.message] == []
