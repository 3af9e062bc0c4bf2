"""The BPMN constructs the support table (docs/bpmn-support.md) lists as running: a minimal
diagram of each, checked clean and driven through the facade to its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from engine import ProcessInstance, check_files, load_files

from .diagrams import LANE, diagram, user_task

T0 = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
MESSAGE = '  <bpmn:message id="m" name="Reply" />\n'
SIGNAL = '  <bpmn:signal id="sig" name="Go" />\n'


def _start(files, data=None) -> ProcessInstance:
    assert check_files(files, "p", lanes={LANE}) == []
    return ProcessInstance.start(load_files(files, "p", lanes={LANE}), data or {})


def _drive(instance: ProcessInstance, answers=None, messages=()) -> list[str]:
    """Complete every offered task (answering ``answers``), sending ``messages`` whenever
    nothing is offered; the user tasks done, in order."""
    done, pending = [], list(messages)
    while True:
        tasks = instance.human_tasks()
        if not tasks:
            if not pending:
                return done
            instance.send_message(pending.pop(0), {})
            continue
        done.append(tasks[0].bpmn_id)
        instance.complete_task(tasks[0].task_id, answers or {"approved": True}, lanes={LANE})


def _completed(instance: ProcessInstance) -> set[str]:
    assert instance.status().status == "completed"
    return set(instance.completed_bpmn_ids())


def _with_start_trigger(files, trigger: bytes) -> dict[str, bytes]:
    out = dict(files)
    out["p.bpmn"] = files["p.bpmn"].replace(b"<bpmn:outgoing>f_in</bpmn:outgoing>",
                                            b"<bpmn:outgoing>f_in</bpmn:outgoing>" + trigger)
    return out


def _split_join(kind: str, left: str, right: str, split_attrs: str = "") -> str:
    return (f'    <bpmn:{kind} id="x"{split_attrs}><bpmn:incoming>f_in</bpmn:incoming>'
            f"<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing></bpmn:{kind}>\n"
            f"{left}{right}"
            f'    <bpmn:{kind} id="j"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4'
            f"</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing></bpmn:{kind}>\n"
            '    <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="j" />\n'
            '    <bpmn:sequenceFlow id="f4" sourceRef="b" targetRef="j" />\n')


def test_a_parallel_gateway_runs_both_branches_and_joins():
    body = _split_join("parallelGateway",
                       '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="a" />\n'
                       + user_task("a", "A", "f1", "f3"),
                       '    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="b" />\n'
                       + user_task("b", "B", "f2", "f4"))
    instance = _start(diagram(body, last="j"))
    assert sorted(_drive(instance)) == ["a", "b"]
    assert {"j", "end"} <= _completed(instance)


def test_an_inclusive_gateway_runs_the_branches_whose_conditions_hold_and_joins():
    body = _split_join("inclusiveGateway",
                       '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="a">'
                       "<bpmn:conditionExpression>go == 1</bpmn:conditionExpression>"
                       "</bpmn:sequenceFlow>\n" + user_task("a", "A", "f1", "f3"),
                       '    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="b" />\n'
                       + user_task("b", "B", "f2", "f4"), ' default="f2"')
    instance = _start(diagram(body, last="j"), {"go": 1})
    assert _drive(instance) == ["a"]
    assert "end" in _completed(instance)


def test_an_embedded_subprocess_runs_its_tasks():
    body = ('    <bpmn:subProcess id="x" name="Inner"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f_out</bpmn:outgoing>\n"
            '      <bpmn:startEvent id="s1"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>\n'
            '      <bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="in" />\n'
            + user_task("in", "Inner task", "g1", "g2")
            + '      <bpmn:sequenceFlow id="g2" sourceRef="in" targetRef="e1" />\n'
              '      <bpmn:endEvent id="e1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>\n'
              "    </bpmn:subProcess>\n")
    instance = _start(diagram(body))
    assert _drive(instance) == ["in"]
    assert {"x", "e1", "end"} <= _completed(instance)


def test_a_call_activity_runs_the_called_process():
    files = diagram('    <bpmn:callActivity id="x" name="Stage" calledElement="q">'
                    "<bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>"
                    "</bpmn:callActivity>\n")
    files["q.bpmn"] = diagram(user_task("qt", "Called task", "f_in", "f_out"), first="qt",
                              last="qt")["p.bpmn"].replace(b'id="p"', b'id="q"').replace(
        b"p_definitions", b"q_definitions")
    instance = _start(files)
    assert _drive(instance) == ["qt"]
    assert "end" in _completed(instance)


def test_a_signal_thrown_in_the_case_is_caught_by_an_intermediate_catch_event():
    body = _split_join(
        "parallelGateway",
        '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="a" />\n'
        '    <bpmn:intermediateCatchEvent id="a" name="Wait for go"><bpmn:incoming>f1'
        "</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>"
        '<bpmn:signalEventDefinition id="sd1" signalRef="sig" /></bpmn:intermediateCatchEvent>\n',
        '    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="u" />\n'
        + user_task("u", "Decide", "f2", "f5")
        + '    <bpmn:sequenceFlow id="f5" sourceRef="u" targetRef="b" />\n'
          '    <bpmn:intermediateThrowEvent id="b" name="Go"><bpmn:incoming>f5</bpmn:incoming>'
          '<bpmn:outgoing>f4</bpmn:outgoing><bpmn:signalEventDefinition id="sd2" '
          'signalRef="sig" /></bpmn:intermediateThrowEvent>\n')
    instance = _start(diagram(body, last="j", before=SIGNAL))
    assert _drive(instance) == ["u"]
    assert {"a", "b", "end"} <= _completed(instance)


def test_a_signal_boundary_event_interrupts_its_task():
    body = ('    <bpmn:parallelGateway id="x"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing>"
            "</bpmn:parallelGateway>\n"
            '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="a" />\n'
            + user_task("a", "A", "f1", "f3")
            + '    <bpmn:boundaryEvent id="sb" name="Go" attachedToRef="a">'
              '<bpmn:outgoing>f6</bpmn:outgoing><bpmn:signalEventDefinition id="sd1" '
              'signalRef="sig" /></bpmn:boundaryEvent>\n'
              '    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="t" />\n'
              '    <bpmn:intermediateThrowEvent id="t" name="Go"><bpmn:incoming>f2'
              '</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:signalEventDefinition '
              'id="sd2" signalRef="sig" /></bpmn:intermediateThrowEvent>\n'
              '    <bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="e4" />\n'
              '    <bpmn:endEvent id="e4"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>\n'
              '    <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="j" />\n'
              '    <bpmn:sequenceFlow id="f6" sourceRef="sb" targetRef="j" />\n'
              '    <bpmn:exclusiveGateway id="j"><bpmn:incoming>f3</bpmn:incoming>'
              "<bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>"
              "</bpmn:exclusiveGateway>\n")
    instance = _start(diagram(body, last="j", before=SIGNAL))
    assert _drive(instance) == []  # the task was interrupted before anyone worked it
    assert {"sb", "end"} <= _completed(instance)


def test_a_signal_event_subprocess_runs_when_the_case_throws_the_signal():
    body = (user_task("x", "A", "f_in", "f_mid")
            + '    <bpmn:sequenceFlow id="f_mid" sourceRef="x" targetRef="t" />\n'
              '    <bpmn:intermediateThrowEvent id="t" name="Go"><bpmn:incoming>f_mid'
              '</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing><bpmn:signalEventDefinition '
              'id="sd2" signalRef="sig" /></bpmn:intermediateThrowEvent>\n'
              '    <bpmn:subProcess id="es" name="On go" triggeredByEvent="true">\n'
              '      <bpmn:startEvent id="s1" isInterrupting="false"><bpmn:outgoing>g1'
              '</bpmn:outgoing><bpmn:signalEventDefinition id="sd1" signalRef="sig" />'
              "</bpmn:startEvent>\n"
              '      <bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="st" />\n'
              '      <bpmn:scriptTask id="st"><bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2'
              "</bpmn:outgoing><bpmn:script>seen = True</bpmn:script></bpmn:scriptTask>\n"
              '      <bpmn:sequenceFlow id="g2" sourceRef="st" targetRef="e1" />\n'
              '      <bpmn:endEvent id="e1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>\n'
              "    </bpmn:subProcess>\n")
    instance = _start(diagram(body, last="t", before=SIGNAL))
    assert _drive(instance) == ["x"]
    assert {"st", "end"} <= _completed(instance)


def test_a_receive_task_and_a_message_catch_event_wait_for_their_message():
    body = ('    <bpmn:receiveTask id="x" name="Wait" messageRef="m"><bpmn:incoming>f_in'
            "</bpmn:incoming><bpmn:outgoing>f_mid</bpmn:outgoing></bpmn:receiveTask>\n"
            '    <bpmn:sequenceFlow id="f_mid" sourceRef="x" targetRef="c" />\n'
            '    <bpmn:intermediateCatchEvent id="c" name="Wait again"><bpmn:incoming>f_mid'
            '</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing><bpmn:messageEventDefinition '
            'id="md" messageRef="m" /></bpmn:intermediateCatchEvent>\n')
    instance = _start(diagram(body, last="c", before=MESSAGE))
    assert instance.status().waiting_messages == ("Reply",)
    _drive(instance, messages=["Reply", "Reply"])
    assert {"x", "c", "end"} <= _completed(instance)


def test_send_tasks_message_throws_and_none_throws_pass_through():
    body = ('    <bpmn:sendTask id="x" name="Send" messageRef="m"><bpmn:incoming>f_in'
            "</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:sendTask>\n"
            '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="t" />\n'
            '    <bpmn:intermediateThrowEvent id="t" name="Tell"><bpmn:incoming>f1'
            '</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:messageEventDefinition '
            'id="md" messageRef="m" /></bpmn:intermediateThrowEvent>\n'
            '    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="n" />\n'
            '    <bpmn:intermediateThrowEvent id="n" name="Milestone"><bpmn:incoming>f2'
            "</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing></bpmn:intermediateThrowEvent>\n")
    instance = _start(diagram(body, last="n", before=MESSAGE))
    assert {"x", "t", "n", "end"} <= _completed(instance)


def test_multi_instance_tasks_run_once_per_item_in_parallel_and_in_sequence():
    for sequential in ("false", "true"):
        task = user_task("x", "Review", "f_in", "f_out").replace(
            "</bpmn:userTask>", f'<bpmn:multiInstanceLoopCharacteristics isSequential='
                                f'"{sequential}"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
                                "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
        instance = _start(diagram(task))
        assert _drive(instance) == ["x", "x"]
        assert "end" in _completed(instance)


def test_a_standard_loop_repeats_its_task_while_the_condition_holds():
    task = user_task("x", "Review", "f_in", "f_out").replace(
        "</bpmn:userTask>", "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>"
                            "not approved</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
                            "</bpmn:userTask>")
    instance = _start(diagram(task))
    instance.complete_task(instance.human_tasks()[0].task_id, {"approved": False}, lanes={LANE})
    assert _drive(instance) == ["x"]  # asked again, then done
    assert "end" in _completed(instance)


def test_a_data_object_receives_what_a_script_writes():
    body = ('    <bpmn:scriptTask id="x" name="Set"><bpmn:incoming>f_in</bpmn:incoming>'
            '<bpmn:outgoing>f_out</bpmn:outgoing><bpmn:dataOutputAssociation id="doa">'
            "<bpmn:targetRef>dor</bpmn:targetRef></bpmn:dataOutputAssociation>"
            "<bpmn:script>obj = 5</bpmn:script></bpmn:scriptTask>\n"
            '    <bpmn:dataObject id="obj" name="Obj" />\n'
            '    <bpmn:dataObjectReference id="dor" name="Obj" dataObjectRef="obj" />\n')
    instance = _start(diagram(body))
    assert "end" in _completed(instance)
    assert instance.data()["data_objects"] == {"obj": 5}


def test_artifacts_and_a_pool_change_nothing():
    files = diagram(user_task("x", "A", "f_in", "f_out"),
                    before='  <bpmn:collaboration id="c"><bpmn:participant id="pp" '
                           'name="Police" processRef="p" /></bpmn:collaboration>\n'
                           '  <bpmn:category id="cat"><bpmn:categoryValue id="cv" value="G" />'
                           "</bpmn:category>\n",
                    artifacts='    <bpmn:textAnnotation id="ta"><bpmn:text>Note</bpmn:text>'
                              "</bpmn:textAnnotation>\n"
                              '    <bpmn:association id="as" sourceRef="x" targetRef="ta" />\n'
                              '    <bpmn:group id="g" categoryValueRef="cv" />\n')
    instance = _start(files)
    assert _drive(instance) == ["x"]
    assert "end" in _completed(instance)


def test_a_terminate_end_event_ends_the_case_with_work_still_open():
    body = ('    <bpmn:parallelGateway id="x"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f_open</bpmn:outgoing>"
            "</bpmn:parallelGateway>\n"
            '    <bpmn:sequenceFlow id="f_open" sourceRef="x" targetRef="u" />\n'
            + user_task("u", "Never done", "f_open", "f_out")
            + '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="te" />\n'
              '    <bpmn:endEvent id="te" name="Stop"><bpmn:incoming>f1</bpmn:incoming>'
              '<bpmn:terminateEventDefinition id="tdef" /></bpmn:endEvent>\n')
    instance = _start(diagram(body, last="u"))
    assert "te" in _completed(instance)
    assert instance.human_tasks() == ()


def _subprocess_throwing(throw: str) -> str:
    return ('    <bpmn:subProcess id="x" name="Inner"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f_out</bpmn:outgoing>\n"
            '      <bpmn:startEvent id="s1"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>\n'
            '      <bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="t1" />\n'
            f"{throw}"
            "    </bpmn:subProcess>\n"
            '    <bpmn:sequenceFlow id="f9" sourceRef="eb" targetRef="h" />\n'
            + user_task("h", "Handle", "f9", "f10")
            + '    <bpmn:sequenceFlow id="f10" sourceRef="h" targetRef="e9" />\n'
              '    <bpmn:endEvent id="e9"><bpmn:incoming>f10</bpmn:incoming></bpmn:endEvent>\n')


def test_an_error_end_event_is_caught_by_an_error_boundary_event():
    body = _subprocess_throwing(
        '      <bpmn:endEvent id="t1"><bpmn:incoming>g1</bpmn:incoming>'
        '<bpmn:errorEventDefinition id="ed" errorRef="err" /></bpmn:endEvent>\n'
    ) + ('    <bpmn:boundaryEvent id="eb" name="Failed" attachedToRef="x"><bpmn:outgoing>f9'
         '</bpmn:outgoing><bpmn:errorEventDefinition id="ed2" errorRef="err" />'
         "</bpmn:boundaryEvent>\n")
    files = diagram(body, before='  <bpmn:error id="err" name="Failed" errorCode="E1" />\n')
    instance = _start(files)
    assert _drive(instance) == ["h"]
    assert {"eb", "e9"} <= _completed(instance)


def test_an_escalation_is_caught_by_a_non_interrupting_escalation_boundary_event():
    body = _subprocess_throwing(
        '      <bpmn:intermediateThrowEvent id="t1"><bpmn:incoming>g1</bpmn:incoming>'
        '<bpmn:outgoing>g2</bpmn:outgoing><bpmn:escalationEventDefinition id="ed" '
        'escalationRef="esc" /></bpmn:intermediateThrowEvent>\n'
        '      <bpmn:sequenceFlow id="g2" sourceRef="t1" targetRef="e1" />\n'
        '      <bpmn:endEvent id="e1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>\n'
    ) + ('    <bpmn:boundaryEvent id="eb" name="Raised" cancelActivity="false" '
         'attachedToRef="x"><bpmn:outgoing>f9</bpmn:outgoing><bpmn:escalationEventDefinition '
         'id="ed2" escalationRef="esc" /></bpmn:boundaryEvent>\n')
    files = diagram(body, before='  <bpmn:escalation id="esc" name="Raised" '
                                 'escalationCode="X" />\n')
    instance = _start(files)
    assert _drive(instance) == ["h"]
    assert {"eb", "e1", "e9", "end"} <= _completed(instance)  # the subprocess went on


def test_a_timer_start_event_waits_then_starts_the_work():
    files = _with_start_trigger(diagram(user_task("x", "A", "f_in", "f_out")),
                                b'<bpmn:timerEventDefinition id="tsd"><bpmn:timeDuration>PT1H'
                                b"</bpmn:timeDuration></bpmn:timerEventDefinition>")
    with time_machine.travel(T0, tick=False) as clock:
        instance = _start(files)
        assert instance.human_tasks() == ()
        assert [t.due_at for t in instance.timers()] == [T0 + timedelta(hours=1)]
        clock.shift(timedelta(hours=2))
        instance.fire_due_timers()
    assert _drive(instance) == ["x"]


def test_an_intermediate_timer_fires_when_due():
    body = ('    <bpmn:intermediateCatchEvent id="x" name="Wait a day"><bpmn:incoming>f_in'
            "</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing><bpmn:timerEventDefinition "
            'id="td"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
            "</bpmn:intermediateCatchEvent>\n")
    with time_machine.travel(T0, tick=False) as clock:
        instance = _start(diagram(body))
        clock.shift(timedelta(days=1, minutes=1))
        assert [t.bpmn_id for t in instance.fire_due_timers()] == ["x"]
    assert "end" in _completed(instance)


def test_a_message_start_event_waits_for_its_message():
    files = _with_start_trigger(diagram(user_task("x", "A", "f_in", "f_out"), before=MESSAGE),
                                b'<bpmn:messageEventDefinition id="msd" messageRef="m" />')
    instance = _start(files)
    assert instance.status().waiting_messages == ("Reply",)
    assert _drive(instance, messages=["Reply"]) == ["x"]
    assert "end" in _completed(instance)


DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D"
             namespace="http://example.org/dmn">
  <decision id="risk" name="Risk">
    <decisionTable id="dt" hitPolicy="UNIQUE">
      <input id="i1" label="Score"><inputExpression id="ie" typeRef="integer">
        <text>score</text></inputExpression></input>
      <output id="o1" name="level" typeRef="string" />
      <rule id="r1"><inputEntry id="e1"><text>&lt; 10</text></inputEntry>
        <outputEntry id="oe1"><text>"low"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>&gt;= 10</text></inputEntry>
        <outputEntry id="oe2"><text>"high"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_a_business_rule_task_sets_the_decisions_outputs():
    files = diagram('    <bpmn:businessRuleTask id="x" name="Assess"><bpmn:extensionElements>'
                    "<spiffworkflow:calledDecisionId>risk</spiffworkflow:calledDecisionId>"
                    "</bpmn:extensionElements><bpmn:incoming>f_in</bpmn:incoming>"
                    "<bpmn:outgoing>f_out</bpmn:outgoing></bpmn:businessRuleTask>\n")
    files["risk.dmn"] = DMN
    instance = _start(files, {"score": 12})
    assert "end" in _completed(instance)
    assert instance.data()["level"] == "high"


def test_message_signal_escalation_and_error_end_events_end_their_path():
    before = (MESSAGE + SIGNAL + '  <bpmn:escalation id="esc" name="E" escalationCode="E" />\n'
              '  <bpmn:error id="err" name="Err" errorCode="X" />\n')
    for trigger in (b'<bpmn:messageEventDefinition id="d" messageRef="m" />',
                    b'<bpmn:signalEventDefinition id="d" signalRef="sig" />',
                    b'<bpmn:escalationEventDefinition id="d" escalationRef="esc" />',
                    b'<bpmn:errorEventDefinition id="d" errorRef="err" />'):
        files = diagram(user_task("x", "A", "f_in", "f_out"), before=before)
        files["p.bpmn"] = files["p.bpmn"].replace(b"<bpmn:incoming>f_out</bpmn:incoming>",
                                                  b"<bpmn:incoming>f_out</bpmn:incoming>" + trigger)
        instance = _start(files)
        assert _drive(instance) == ["x"]
        assert "end" in _completed(instance)


def _boundary(trigger: str, interrupting: str) -> str:
    return (user_task("x", "A", "f_in", "f_out")
            + f'    <bpmn:boundaryEvent id="b" name="Late" cancelActivity="{interrupting}" '
              f'attachedToRef="x"><bpmn:outgoing>f_b</bpmn:outgoing>{trigger}'
              "</bpmn:boundaryEvent>\n"
              '    <bpmn:sequenceFlow id="f_b" sourceRef="b" targetRef="h" />\n'
            + user_task("h", "Chase", "f_b", "f_h")
            + '    <bpmn:sequenceFlow id="f_h" sourceRef="h" targetRef="eh" />\n'
              '    <bpmn:endEvent id="eh"><bpmn:incoming>f_h</bpmn:incoming></bpmn:endEvent>\n')


def test_an_interrupting_timer_boundary_event_cancels_its_task():
    body = _boundary('<bpmn:timerEventDefinition id="td"><bpmn:timeDuration>PT2H'
                     "</bpmn:timeDuration></bpmn:timerEventDefinition>", "true")
    with time_machine.travel(T0, tick=False) as clock:
        instance = _start(diagram(body))
        clock.shift(timedelta(hours=3))
        instance.fire_due_timers()
    assert [t.bpmn_id for t in instance.human_tasks()] == ["h"]
    assert _drive(instance) == ["h"]
    assert "eh" in _completed(instance)


def test_a_non_interrupting_message_boundary_event_leaves_its_task_open():
    body = _boundary('<bpmn:messageEventDefinition id="md" messageRef="m" />', "false")
    instance = _start(diagram(body, before=MESSAGE))
    instance.send_message("Reply", {})
    assert sorted(t.bpmn_id for t in instance.human_tasks()) == ["h", "x"]
    _drive(instance)
    assert {"eh", "end"} <= _completed(instance)


def test_process_data_inputs_and_outputs_are_not_required_at_the_start_of_a_case():
    files = diagram(user_task("x", "A", "f_in", "f_out"))
    files["p.bpmn"] = files["p.bpmn"].replace(
        b'<bpmn:laneSet id="lanes">',
        b'<bpmn:ioSpecification id="io"><bpmn:dataInput id="applicant" name="applicant" />'
        b'<bpmn:dataOutput id="approved" name="approved" /><bpmn:inputSet id="is">'
        b"<bpmn:dataInputRefs>applicant</bpmn:dataInputRefs></bpmn:inputSet>"
        b'<bpmn:outputSet id="os"><bpmn:dataOutputRefs>approved</bpmn:dataOutputRefs>'
        b'</bpmn:outputSet></bpmn:ioSpecification>\n    <bpmn:laneSet id="lanes">')
    instance = _start(files, {})  # no 'applicant': the case still starts
    assert _drive(instance) == ["x"]
    assert "end" in _completed(instance)


def test_a_pre_script_runs_when_the_task_is_offered_and_a_post_script_when_done():
    task = user_task("x", "A", "f_in", "f_out", extra=(
        "\n        <spiffworkflow:preScript>asked = 1</spiffworkflow:preScript>"
        "\n        <spiffworkflow:postScript>answered = asked + 1</spiffworkflow:postScript>"))
    instance = _start(diagram(task))
    assert instance.data()["asked"] == 1
    _drive(instance)
    assert instance.data()["answered"] == 2


def test_a_non_interrupting_message_event_subprocess_runs_beside_the_work():
    body = (user_task("x", "A", "f_in", "f_out")
            + '    <bpmn:subProcess id="es" name="On reply" triggeredByEvent="true">\n'
              '      <bpmn:startEvent id="s1" isInterrupting="false"><bpmn:outgoing>g1'
              '</bpmn:outgoing><bpmn:messageEventDefinition id="md" messageRef="m" />'
              "</bpmn:startEvent>\n"
              '      <bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="st" />\n'
              '      <bpmn:scriptTask id="st"><bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2'
              "</bpmn:outgoing><bpmn:script>seen = True</bpmn:script></bpmn:scriptTask>\n"
              '      <bpmn:sequenceFlow id="g2" sourceRef="st" targetRef="e1" />\n'
              '      <bpmn:endEvent id="e1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>\n'
              "    </bpmn:subProcess>\n")
    instance = _start(diagram(body, before=MESSAGE))
    assert instance.status().waiting_messages == ("Reply",)
    instance.send_message("Reply", {})
    assert "st" in instance.completed_bpmn_ids()
    assert [t.bpmn_id for t in instance.human_tasks()] == ["x"]  # the work goes on
    _drive(instance)
    assert "end" in _completed(instance)
