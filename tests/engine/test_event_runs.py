"""The events the support table (docs/bpmn-support.md) lists as running: a minimal diagram of
each, checked clean and driven through the facade to its end."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from .diagrams import (
    MESSAGE,
    SIGNAL,
    T0,
    completed,
    diagram,
    drive,
    start_clean,
    user_task,
    with_start_trigger,
)


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
    instance = start_clean(diagram(body, last="j", before=SIGNAL))
    assert drive(instance) == []  # the task was interrupted before anyone worked it
    assert {"sb", "end"} <= completed(instance)


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
    instance = start_clean(diagram(body, last="t", before=SIGNAL))
    assert drive(instance) == ["x"]
    assert {"st", "end"} <= completed(instance)


def test_a_terminate_end_event_ends_the_case_with_work_still_open():
    body = ('    <bpmn:parallelGateway id="x"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f_open</bpmn:outgoing>"
            "</bpmn:parallelGateway>\n"
            '    <bpmn:sequenceFlow id="f_open" sourceRef="x" targetRef="u" />\n'
            + user_task("u", "Never done", "f_open", "f_out")
            + '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="te" />\n'
              '    <bpmn:endEvent id="te" name="Stop"><bpmn:incoming>f1</bpmn:incoming>'
              '<bpmn:terminateEventDefinition id="tdef" /></bpmn:endEvent>\n')
    instance = start_clean(diagram(body, last="u"))
    assert "te" in completed(instance)
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
    instance = start_clean(files)
    assert drive(instance) == ["h"]
    assert {"eb", "e9"} <= completed(instance)


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
    instance = start_clean(files)
    assert drive(instance) == ["h"]
    assert {"eb", "e1", "e9", "end"} <= completed(instance)  # the subprocess went on


def test_a_timer_start_event_waits_then_starts_the_work():
    files = with_start_trigger(diagram(user_task("x", "A", "f_in", "f_out")),
                                b'<bpmn:timerEventDefinition id="tsd"><bpmn:timeDuration>PT1H'
                                b"</bpmn:timeDuration></bpmn:timerEventDefinition>")
    with time_machine.travel(T0, tick=False) as clock:
        instance = start_clean(files)
        assert instance.human_tasks() == ()
        assert [t.due_at for t in instance.timers()] == [T0 + timedelta(hours=1)]
        clock.shift(timedelta(hours=2))
        instance.fire_due_timers()
    assert drive(instance) == ["x"]


def test_an_intermediate_timer_fires_when_due():
    body = ('    <bpmn:intermediateCatchEvent id="x" name="Wait a day"><bpmn:incoming>f_in'
            "</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing><bpmn:timerEventDefinition "
            'id="td"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
            "</bpmn:intermediateCatchEvent>\n")
    with time_machine.travel(T0, tick=False) as clock:
        instance = start_clean(diagram(body))
        clock.shift(timedelta(days=1, minutes=1))
        assert [t.bpmn_id for t in instance.fire_due_timers()] == ["x"]
    assert "end" in completed(instance)


def test_a_message_start_event_waits_for_its_message():
    files = with_start_trigger(diagram(user_task("x", "A", "f_in", "f_out"), before=MESSAGE),
                                b'<bpmn:messageEventDefinition id="msd" messageRef="m" />')
    instance = start_clean(files)
    assert instance.status().waiting_messages == ("Reply",)
    assert drive(instance, messages=["Reply"]) == ["x"]
    assert "end" in completed(instance)


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
        instance = start_clean(files)
        assert drive(instance) == ["x"]
        assert "end" in completed(instance)


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
        instance = start_clean(diagram(body))
        clock.shift(timedelta(hours=3))
        instance.fire_due_timers()
    assert [t.bpmn_id for t in instance.human_tasks()] == ["h"]
    assert drive(instance) == ["h"]
    assert "eh" in completed(instance)


def test_a_non_interrupting_message_boundary_event_leaves_its_task_open():
    body = _boundary('<bpmn:messageEventDefinition id="md" messageRef="m" />', "false")
    instance = start_clean(diagram(body, before=MESSAGE))
    instance.send_message("Reply", {})
    assert sorted(t.bpmn_id for t in instance.human_tasks()) == ["h", "x"]
    drive(instance)
    assert {"eh", "end"} <= completed(instance)


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
    instance = start_clean(diagram(body, before=MESSAGE))
    assert instance.status().waiting_messages == ("Reply",)
    instance.send_message("Reply", {})
    assert "st" in instance.completed_bpmn_ids()
    assert [t.bpmn_id for t in instance.human_tasks()] == ["x"]  # the work goes on
    drive(instance)
    assert "end" in completed(instance)
