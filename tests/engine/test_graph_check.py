"""The diagram's shape: elements no case reaches, places a case can never leave, parallel joins
that wait for ever and exclusive gateways with no default, each at the element's own line."""

from __future__ import annotations

from engine import check_files
from tests.engine.checker_diagrams import files, flow, line_of, node, user_task

START = node("startEvent", "s", name="Start", outgoing="f_s")
END = node("endEvent", "e", name="Done", incoming="f_e")


def _problems(body: str) -> tuple[dict[str, bytes], list]:
    diagram = files(body)
    return diagram, check_files(diagram, "p", lanes={"Case officer"})


def _about(problems: list, element_id: str) -> list:
    return [p for p in problems if p.element_id == element_id]


def _straight(*extra: str) -> str:
    """Start -> 'Assess' -> Done, plus ``extra``."""
    return (START + flow("f_s", "s", "a") + user_task("a", "Assess", "f_s", "f_e")
            + flow("f_e", "a", "e") + END + "".join(extra))


def test_a_clean_straight_process_has_no_problems():
    assert _problems(_straight())[1] == []


def test_an_orphan_user_task_is_an_error_at_its_line():
    diagram, problems = _problems(_straight(user_task("orphan", "Check the records")))
    (problem,) = _about(problems, "orphan")
    assert problem.severity == "error"
    assert problem.message == (
        "The user task 'Check the records' is not connected to anything: no arrow leads into "
        "it or out of it, so no case will ever reach it. Draw an arrow into it from the step "
        "before and one out of it to the next step, or delete it.")
    assert problem.line == line_of(diagram["p.bpmn"], 'id="orphan"') > 0
    assert problem.file == "p.bpmn"


def test_a_task_with_no_way_in_cannot_be_reached():
    diagram, problems = _problems(_straight(
        user_task("late", "Late review", outgoing="f_late"), flow("f_late", "late", "e2"),
        node("endEvent", "e2", incoming="f_late")))
    (problem,) = _about(problems, "late")
    assert problem.message == (
        "No case can ever reach the user task 'Late review': no arrow leads into it. Draw an "
        "arrow into it from a step that cases pass through, or delete it.")
    assert problem.line == line_of(diagram["p.bpmn"], 'id="late"')
    assert _about(problems, "e2")[0].message.startswith(
        "No case can ever reach the end event with no name (e2): no path from the start")


def test_a_loop_with_no_way_out_can_never_finish():
    body = (START + flow("f_s", "s", "a") + user_task("a", "Assess", "f_s f_back", "f_on")
            + flow("f_on", "a", "b") + user_task("b", "Review", "f_on", "f_back")
            + flow("f_back", "b", "a"))
    diagram, problems = _problems(body)
    (problem,) = _about(problems, "b")
    assert problem.severity == "error"
    assert problem.message == (
        "A case that reaches the user task 'Review' can never finish: every way on from it "
        "goes round in a loop without reaching an end event. Add a way out of the loop (for "
        "example a gateway with an arrow to the next step or to an end event).")
    assert problem.line == line_of(diagram["p.bpmn"], 'id="b"')


def test_boundary_events_and_event_subprocesses_are_reached_with_their_owner():
    boundary = node("boundaryEvent", "timer", name="24 hours", outgoing="f_t",
                    attrs=' attachedToRef="a" cancelActivity="false"',
                    inner='      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>"PT24H"'
                          "</bpmn:timeDuration></bpmn:timerEventDefinition>\n")
    handler = (flow("f_t", "timer", "late") + user_task("late", "Chase", "f_t", "f_late")
               + flow("f_late", "late", "e2") + node("endEvent", "e2", incoming="f_late"))
    event_sub = node("subProcess", "esp", name="Withdrawn", attrs=' triggeredByEvent="true"',
                     inner=node("startEvent", "es", outgoing="f_es",
                                inner='      <bpmn:timerEventDefinition id="etd">'
                                      '<bpmn:timeDuration>"P45D"</bpmn:timeDuration>'
                                      "</bpmn:timerEventDefinition>\n")
                     + flow("f_es", "es", "ee") + node("endEvent", "ee", incoming="f_es"))
    problems = _problems(_straight(boundary, handler, event_sub))[1]
    assert [p for p in problems if p.severity == "error"] == []


def test_an_embedded_subprocess_is_checked_inside():
    inner = (node("startEvent", "is", outgoing="f_is") + flow("f_is", "is", "ie")
             + node("endEvent", "ie", incoming="f_is")
             + user_task("stray", "Stray step"))
    body = (START + flow("f_s", "s", "sub")
            + node("subProcess", "sub", name="Checks", incoming="f_s", outgoing="f_e",
                   inner=inner)
            + flow("f_e", "sub", "e") + END)
    diagram, problems = _problems(body)
    (problem,) = _about(problems, "stray")
    assert "'Stray step' is not connected to anything" in problem.message
    assert problem.line == line_of(diagram["p.bpmn"], 'id="stray"')


def _gateway_body(split: str, join: str) -> str:
    return (START + flow("f_s", "s", "split")
            + node(split, "split", name="Route", incoming="f_s", outgoing="f_1 f_2",
                   attrs=' default="f_2"' if split == "exclusiveGateway" else "")
            + flow("f_1", "split", "a", condition="urgent" if split == "exclusiveGateway"
                   else "")
            + flow("f_2", "split", "b")
            + user_task("a", "Urgent checks", "f_1", "f_a") + flow("f_a", "a", "join")
            + user_task("b", "Routine checks", "f_2", "f_b") + flow("f_b", "b", "join")
            + node(join, "join", name="Both done", incoming="f_a f_b", outgoing="f_e")
            + flow("f_e", "join", "e") + END)


def test_a_parallel_join_after_an_exclusive_split_waits_for_ever():
    diagram, problems = _problems(_gateway_body("exclusiveGateway", "parallelGateway"))
    (problem,) = _about(problems, "join")
    assert problem.severity == "error"
    assert problem.message.startswith(
        "The parallel gateway 'Both done' can wait for ever: it waits until a case has come "
        "along every arrow into it, but a case can come along some of them and never the "
        "others")
    assert "join with a parallel gateway only the branches a parallel gateway split" in \
        problem.message
    assert problem.line == line_of(diagram["p.bpmn"], 'id="join"')


def test_a_parallel_join_after_a_parallel_split_is_fine():
    problems = _problems(_gateway_body("parallelGateway", "parallelGateway"))[1]
    assert problems == []


def test_an_exclusive_merge_after_an_exclusive_split_is_fine():
    problems = _problems(_gateway_body("exclusiveGateway", "exclusiveGateway"))[1]
    assert problems == []


def _decision(*conditions: str) -> str:
    outs = " ".join(f"f_{i}" for i in range(len(conditions)))
    body = (START + flow("f_s", "s", "a") + user_task("a", "Decide", "f_s", "f_d")
            + flow("f_d", "a", "gw")
            + node("exclusiveGateway", "gw", name="Disclose?", incoming="f_d", outgoing=outs))
    for i, condition in enumerate(conditions):
        body += (flow(f"f_{i}", "gw", f"e{i}", condition=condition)
                 + node("endEvent", f"e{i}", incoming=f"f_{i}"))
    return body


def test_a_gateway_whose_conditions_may_all_be_false_is_warned_of():
    diagram, problems = _problems(_decision("notes == 'x'", "urgent"))
    (problem,) = _about(problems, "gw")
    assert problem.severity == "warning"
    assert problem.message == (
        "None of the conditions on the ways out of the exclusive gateway 'Disclose?' need "
        "hold, and none of them is the default: a case for which all are false would stop "
        "here with an error. Make one way out the default (select its arrow, choose the "
        "spanner icon, then 'Default Flow'), or add conditions that cover every case.")
    assert problem.line == line_of(diagram["p.bpmn"], 'id="gw"')


def test_conditions_that_provably_cover_every_case_are_not_warned_of():
    for conditions in (("urgent", "not urgent"),
                       ("len(notes) &gt; 3", "len(notes) &lt;= 3"),
                       ("decision == 'approve'", "decision == 'refuse'"),
                       ("decision in ['approve']", "'refuse' == decision"),
                       ("urgent == True", "urgent == False"),
                       ("notes == 'x'", "True")):
        assert _problems(_decision(*conditions))[1] == [], conditions


def test_options_not_all_tested_are_warned_of():
    problems = _problems(_decision("decision == 'approve'", "decision == 'maybe'"))[1]
    assert [p.element_id for p in problems] == ["gw"]


def test_call_activities_catch_events_and_lanes_are_followed():
    timer = ('      <bpmn:timerEventDefinition id="wd"><bpmn:timeDuration>"P1D"'
             "</bpmn:timeDuration></bpmn:timerEventDefinition>\n")
    body = (START + flow("f_s", "s", "call")
            + node("callActivity", "call", name="Checks", incoming="f_s", outgoing="f_c",
                   attrs=' calledElement="checks"')
            + flow("f_c", "call", "reply")
            + node("intermediateCatchEvent", "reply", name="Reply", incoming="f_c",
                   outgoing="f_r",
                   inner='      <bpmn:messageEventDefinition id="md" messageRef="msg" />\n')
            + flow("f_r", "reply", "wait")
            + node("intermediateCatchEvent", "wait", name="Wait a day", incoming="f_r",
                   outgoing="f_w", inner=timer)
            + flow("f_w", "wait", "a") + user_task("a", "Assess", "f_w", "")
            # 'Assess' has no way out: an implicit end
            )
    diagram = files(body)
    called = ('  <bpmn:message id="msg" name="Reply" />\n'
              '  <bpmn:process id="checks" isExecutable="true">\n'
              '    <bpmn:startEvent id="cs"><bpmn:outgoing>cf</bpmn:outgoing></bpmn:startEvent>\n'
              '    <bpmn:sequenceFlow id="cf" sourceRef="cs" targetRef="ce" />\n'
              '    <bpmn:endEvent id="ce"><bpmn:incoming>cf</bpmn:incoming></bpmn:endEvent>\n'
              "  </bpmn:process>\n</bpmn:definitions>")
    text = diagram["p.bpmn"].decode().replace("</bpmn:definitions>", called)
    problems = check_files({**diagram, "p.bpmn": text.encode()}, "p")
    assert problems == []


def test_a_task_after_an_unreachable_gateway_is_reported_by_name():
    body = _straight(node("exclusiveGateway", "g", name="Again?", outgoing="f_g"),
                     flow("f_g", "g", "b"), user_task("b", "Second look", "f_g", ""))
    problems = _problems(body)[1]
    assert [(p.element_id, p.message.split(":")[0]) for p in problems] == [
        ("g", "No case can ever reach the exclusive gateway 'Again?'"),
        ("b", "No case can ever reach the user task 'Second look'")]
