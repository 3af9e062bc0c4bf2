"""Every construct SpiffWorkflow cannot run is refused at check time by its type in words, its
name and its line; vendor extensions are named as ignored; Camunda-style timers run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine import DefinitionInvalid, ProcessInstance, check_files, load_files

from .conftest import ALL_LANES
from .diagrams import LANE, diagram, line_of, user_task

T0 = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def _problems(files, severity="error"):
    found = [p for p in check_files(files, "p", lanes={LANE}) if p.severity == severity]
    assert all(p.line for p in found), found  # never line 0 or none
    return found


def _only(files, severity="error"):
    (problem,) = _problems(files, severity)
    return problem


def _node(tag: str, name: str, inner: str = "", attrs: str = "", node_id: str = "x") -> str:
    return (f'    <bpmn:{tag} id="{node_id}" name="{name}"{attrs}>\n'
            f"      <bpmn:incoming>f_in</bpmn:incoming>\n"
            f"      <bpmn:outgoing>f_out</bpmn:outgoing>\n{inner}"
            f"    </bpmn:{tag}>\n")


def _gateway_with_condition(condition: str, attrs: str = "") -> dict[str, bytes]:
    return diagram(_node("exclusiveGateway", "Approved?", attrs=' default="f_out"')
                   .replace("</bpmn:exclusiveGateway>",
                            "  <bpmn:outgoing>f_yes</bpmn:outgoing>\n"
                            "    </bpmn:exclusiveGateway>")
                   + '    <bpmn:sequenceFlow id="f_yes" name="Yes" sourceRef="x" '
                   + 'targetRef="end2">\n'
                   + '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"'
                   + f"{attrs}>{condition}</bpmn:conditionExpression>\n"
                   + """    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end2" name="Approved">
      <bpmn:incoming>f_yes</bpmn:incoming>
    </bpmn:endEvent>
""")


def test_a_complex_gateway_is_refused_by_type_name_and_line():
    files = diagram(_node("complexGateway", "Merge"))
    problem = _only(files)
    assert problem.message == ('complex gateway "Merge" cannot be run here: use exclusive, '
                               "inclusive or parallel gateways instead")
    assert (problem.element_id, problem.line) == ("x", line_of(files, "<bpmn:complexGateway"))


@pytest.mark.parametrize(("tag", "words"), [
    ("adHocSubProcess", "ad-hoc subprocess"),
    ("transaction", "transaction"),
])
def test_subprocess_kinds_that_cannot_run_are_refused(tag, words):
    files = diagram(_node(tag, "Checks", inner=(
        '      <bpmn:startEvent id="s_in" />\n' if tag == "transaction" else "")))
    problem = _only(files)
    assert problem.message.startswith(f'{words} "Checks" cannot be run here: ')
    assert (problem.element_id, problem.line) == ("x", line_of(files, f"<bpmn:{tag}"))


def test_data_stores_are_refused_with_their_lines_and_no_unlocated_message():
    task = user_task("x", "Record", "f_in", "f_out").replace(
        "</bpmn:userTask>", '  <bpmn:dataOutputAssociation id="assoc">\n'
                            "        <bpmn:targetRef>dsr</bpmn:targetRef>\n"
                            "      </bpmn:dataOutputAssociation>\n    </bpmn:userTask>")
    files = diagram(task + '    <bpmn:dataStoreReference id="dsr" name="Data. Store" '
                           'dataStoreRef="ds" />\n',
                    before='  <bpmn:dataStore id="ds" name="Register of checks" />\n')
    store, reference = sorted(_problems(files), key=lambda p: p.line)
    assert store.message.startswith('data store "Register of checks" cannot be run here: '
                                    "keep the data in the case")
    assert store.line == line_of(files, "<bpmn:dataStore ")
    assert reference.message.startswith('data store reference "Data. Store" cannot be run here')
    assert (reference.element_id, reference.line) == ("dsr", line_of(files, "<bpmn:dataStoreRef"))


@pytest.mark.parametrize(("before", "words"), [
    ('  <bpmn:choreography id="c">\n    <bpmn:choreographyTask id="ct" name="Agree" '
     'initiatingParticipantRef="a">\n      <bpmn:participantRef>a</bpmn:participantRef>\n'
     "      <bpmn:participantRef>b</bpmn:participantRef>\n    </bpmn:choreographyTask>\n"
     '    <bpmn:participant id="a" />\n    <bpmn:participant id="b" />\n  </bpmn:choreography>\n',
     'choreography task "Agree"'),
    ('  <bpmn:collaboration id="collab">\n    <bpmn:participant id="a" processRef="p" />\n'
     '    <bpmn:conversation id="conv" name="Referral" />\n  </bpmn:collaboration>\n',
     'conversation "Referral"'),
    ('  <bpmn:globalUserTask id="g" name="Shared review" />\n', 'global user task "Shared review"'),
])
def test_choreographies_conversations_and_global_tasks_are_refused(before, words):
    files = diagram(user_task("x", "Review", "f_in", "f_out"), before=before)
    problems = _problems(files)
    named = [p for p in problems if p.message.startswith(f"{words} cannot be run here")]
    assert named, problems
    assert named[0].line == line_of(files, words.split('"')[1])


def test_compensation_is_refused_on_the_event_and_the_compensating_task():
    files = diagram(
        user_task("x", "Book room", "f_in", "f_out")
        + '    <bpmn:boundaryEvent id="b" name="Undo booking" attachedToRef="x">\n'
          '      <bpmn:compensateEventDefinition id="cd" />\n    </bpmn:boundaryEvent>\n'
        + user_task("undo", "Cancel room", "", "").replace(
            "<bpmn:incoming></bpmn:incoming>\n      <bpmn:outgoing></bpmn:outgoing>\n", "")
        .replace('name="Cancel room"', 'name="Cancel room" isForCompensation="true"'),
        artifacts='    <bpmn:association id="a1" associationDirection="One" sourceRef="b" '
                  'targetRef="undo" />\n')
    event, task = sorted(_problems(files), key=lambda p: p.line)
    assert event.message.startswith('compensation boundary event "Undo booking" cannot be run '
                                    "here (compensation events are not supported)")
    assert (event.element_id, event.line) == ("b", line_of(files, "compensateEventDefinition"))
    assert task.message.startswith('user task "Cancel room" is marked for compensation')
    assert (task.element_id, task.line) == ("undo", line_of(files, 'isForCompensation'))


def test_a_compensation_throw_event_is_refused_not_run_as_a_plain_event():
    files = diagram(_node("intermediateThrowEvent", "Undo all",
                          '      <bpmn:compensateEventDefinition id="cd" />\n'))
    problem = _only(files)
    assert problem.message.startswith('compensation intermediate throw event "Undo all" cannot '
                                      "be run here")


def test_a_cancel_end_event_is_refused():
    files = diagram(_node("endEvent", "Cancel", '      <bpmn:cancelEventDefinition id="cd" />\n',
                          node_id="x").replace("      <bpmn:outgoing>f_out</bpmn:outgoing>\n",
                                               ""), last="start2")
    files["p.bpmn"] = files["p.bpmn"].replace(
        b'<bpmn:sequenceFlow id="f_out" sourceRef="start2" targetRef="end" />',
        b'<bpmn:intermediateThrowEvent id="start2"><bpmn:outgoing>f_out</bpmn:outgoing>'
        b"</bpmn:intermediateThrowEvent>\n"
        b'    <bpmn:sequenceFlow id="f_out" sourceRef="start2" targetRef="end" />')
    problems = [p for p in _problems(files) if "cancel end event" in p.message]
    assert problems[0].message.startswith('cancel end event "Cancel" cannot be run here (cancel '
                                          "events are not supported)")


@pytest.mark.parametrize(("condition", "language"), [
    ("${approved}", "JUEL"), ("#{approved == true}", "JUEL"), ("= approved", "FEEL")])
def test_juel_and_feel_conditions_are_named_with_the_python_way(condition, language):
    files = _gateway_with_condition(condition)
    problem = _only(files)  # and no Python SyntaxError beside it
    assert problem.message == (f'This condition on sequence flow "Yes" is written in '
                               f"{language}; write it as a Python expression such as "
                               "`approved`")
    assert (problem.element_id, problem.line) == ("f_yes", line_of(files, condition))


def test_a_condition_in_a_declared_language_is_named():
    problem = _only(_gateway_with_condition("approved === true", ' language="javascript"'))
    assert "written in JavaScript" in problem.message


def test_a_python_condition_passes():
    assert _problems(_gateway_with_condition("approved")) == []


def test_a_script_in_a_camunda_resource_is_refused_at_check_time():
    files = diagram(_node("scriptTask", "Score", attrs=' scriptFormat="groovy" '
                          'camunda:resource="deployment://score.groovy"'))
    problem = _only(files)
    assert problem.message == ('script task "Score" has the external resource '
                               "'deployment://score.groovy': write the Python script in the "
                               "task itself")
    assert (problem.element_id, problem.line) == ("x", line_of(files, "<bpmn:scriptTask"))


def test_a_script_in_another_language_is_named():
    files = diagram(_node("scriptTask", "Score", "      <bpmn:script>def x = 1;</bpmn:script>\n",
                          attrs=' scriptFormat="groovy"'))
    problem = _only(files)
    assert problem.message == 'script task "Score" is written in groovy: write the script in Python'
    assert problem.line == line_of(files, "<bpmn:script>")


def test_camundas_decision_ref_is_named_with_the_spiffworkflow_way():
    files = diagram(_node("businessRuleTask", "Decide", attrs=' camunda:decisionRef="risk"'))
    problem = _only(files)
    assert problem.message.startswith('business rule task "Decide" uses Camunda\'s decisionRef, '
                                      "which is not read here: name the decision with "
                                      "spiffworkflow:calledDecisionId")
    assert "None" not in problem.message
    assert problem.line == line_of(files, "<bpmn:businessRuleTask")


def test_vendor_extensions_are_named_as_ignored_with_our_equivalent():
    task = user_task("x", "Review", "f_in", "f_out",
                     attrs=' camunda:assignee="demo" activiti:dueDate="P1D"',
                     extra='\n        <zeebe:taskDefinition type="review" />'
                           '\n        <camunda:inputOutput />')
    files = diagram(task)
    warnings = {p.message: p for p in _problems(files, "warning")}
    assert set(warnings) == {
        'camunda:assignee on user task "Review" is ignored: assign work with lanes',
        'activiti:dueDate on user task "Review" is ignored: use a timer boundary event, or a '
        "clock in scheme.json",
        'zeebe:taskDefinition on user task "Review" is ignored',
        'camunda:inputOutput on user task "Review" is ignored: set variables in a pre-script or '
        "post-script",
    }
    assert warnings['zeebe:taskDefinition on user task "Review" is ignored'].line == line_of(
        files, "zeebe:taskDefinition")
    assert {p.element_id for p in warnings.values()} == {"x"}
    assert load_files(files, "p", lanes={LANE}).warnings  # warnings do not block


def test_layout_and_colour_extensions_pass_without_a_word():
    files = diagram(user_task("x", "Review", "f_in", "f_out"))
    files["p.bpmn"] = files["p.bpmn"].replace(
        b'xmlns:activiti="http://activiti.org/bpmn"',
        b'xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0" '
        b'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
        b'modeler:executionPlatform="Camunda Platform"').replace(
        b'<bpmn:userTask id="x" name="Review"', b'<bpmn:userTask id="x" name="Review" '
                                                b'bioc:stroke="#1e88e5"')
    assert check_files(files, "p", lanes={LANE}) == []


@pytest.mark.parametrize(("tag", "literal"), [
    ("timeDuration", "PT1H"), ("timeDate", "2026-03-28T10:00:00Z"), ("timeCycle", "R1/PT1H")])
def test_an_unquoted_iso_timer_literal_passes_the_check(tag, literal):
    files = diagram(_node("intermediateCatchEvent", "Wait", (
        f'      <bpmn:timerEventDefinition id="td">\n        <bpmn:{tag} '
        f'xsi:type="bpmn:tFormalExpression">{literal}</bpmn:{tag}>\n'
        "      </bpmn:timerEventDefinition>\n")))
    assert check_files(files, "p", lanes={LANE}) == []


def test_an_unquoted_timer_that_is_not_iso_8601_is_still_reported():
    files = diagram(_node("intermediateCatchEvent", "Wait", (
        '      <bpmn:timerEventDefinition id="td">\n        <bpmn:timeDuration '
        'xsi:type="bpmn:tFormalExpression">PT1X</bpmn:timeDuration>\n'
        "      </bpmn:timerEventDefinition>\n")))
    assert _problems(files, "warning")


def test_an_unquoted_duration_timer_fires_when_due(mini_files, start_data):
    files = {**mini_files, "mini.bpmn": mini_files["mini.bpmn"].replace(
        b">limit_initial</bpmn:timeDuration>", b">PT1H</bpmn:timeDuration>")}
    definition = load_files(files, "mini")
    assert definition.warnings == ()
    with time_machine.travel(T0, tick=False) as clock:
        instance = ProcessInstance.start(definition, start_data)
        (timer,) = instance.timers()
        assert timer.due_at == T0 + timedelta(hours=1)
        clock.shift(timedelta(minutes=59))
        assert instance.fire_due_timers() == ()
        clock.shift(timedelta(minutes=2))
        assert [t.bpmn_id for t in instance.fire_due_timers()] == ["timer_sla"]
    assert {t.bpmn_id for t in instance.human_tasks(ALL_LANES)} == {"ut_enter", "ut_breach"}


def test_the_stored_files_keep_the_timer_as_drawn(mini_files):
    files = {**mini_files, "mini.bpmn": mini_files["mini.bpmn"].replace(
        b">limit_initial</bpmn:timeDuration>", b">PT1H</bpmn:timeDuration>")}
    assert b">PT1H</bpmn:timeDuration>" in load_files(files, "mini").files["mini.bpmn"]


def test_a_refused_construct_blocks_loading():
    with pytest.raises(DefinitionInvalid) as caught:
        load_files(diagram(_node("complexGateway", "Merge")), "p", lanes={LANE})
    assert "complex gateway" in str(caught.value)


def test_a_conditional_event_is_refused_as_it_would_wait_for_ever():
    files = diagram(_node("intermediateCatchEvent", "Approved", (
        '      <bpmn:conditionalEventDefinition id="cd">\n        <bpmn:condition '
        'xsi:type="bpmn:tFormalExpression">approved</bpmn:condition>\n'
        "      </bpmn:conditionalEventDefinition>\n")))
    problem = _only(files)
    assert problem.message.startswith('conditional intermediate catch event "Approved" cannot be '
                                      "run here (conditional events are not supported)")
    assert (problem.element_id, problem.line) == ("x", line_of(files, "conditionalEventDef"))


def test_an_event_with_several_triggers_is_refused():
    files = diagram(_node("intermediateCatchEvent", "Reply or an hour", (
        '      <bpmn:messageEventDefinition id="md" messageRef="m" />\n'
        '      <bpmn:timerEventDefinition id="td">\n        <bpmn:timeDuration>"PT1H"'
        "</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>\n")),
        before='  <bpmn:message id="m" name="Reply" />\n')
    problem = _only(files)
    assert problem.message.startswith('intermediate catch event "Reply or an hour" has 2 '
                                      "triggers (a multiple event), which cannot be run here")
    assert problem.line == line_of(files, "<bpmn:intermediateCatchEvent")


def test_a_signal_start_event_of_a_process_is_refused():
    files = diagram(user_task("x", "Review", "f_in", "f_out"),
                    before='  <bpmn:signal id="sig" name="Go" />\n')
    files["p.bpmn"] = files["p.bpmn"].replace(
        b"<bpmn:outgoing>f_in</bpmn:outgoing>",
        b'<bpmn:outgoing>f_in</bpmn:outgoing>\n      <bpmn:signalEventDefinition id="sd" '
        b'signalRef="sig" />')
    problem = _only(files)
    assert problem.message.startswith('signal start event "Start" would wait for ever')
    assert (problem.element_id, problem.line) == ("start", line_of(files, "<bpmn:startEvent"))


def test_a_business_rule_task_without_a_decision_says_so_in_plain_words():
    files = diagram(_node("businessRuleTask", "Decide"))
    problem = _only(files)
    assert problem.message == ('business rule task "Decide" names no decision: choose the DMN '
                               "decision it runs (spiffworkflow:calledDecisionId)")
    assert problem.line == line_of(files, "<bpmn:businessRuleTask")


def test_an_xpath_condition_is_named():
    problem = _only(_gateway_with_condition("bpmn:getDataObject('approved') = 'yes'"))
    assert "written in XPath" in problem.message


def test_camunda_attributes_in_a_dmn_table_are_named_as_ignored():
    from .test_construct_runs import DMN

    files = diagram(_node("businessRuleTask", "Assess", (
        "      <bpmn:extensionElements><spiffworkflow:calledDecisionId>risk"
        "</spiffworkflow:calledDecisionId></bpmn:extensionElements>\n")).replace(
        '<bpmn:incoming>f_in</bpmn:incoming>\n      <bpmn:outgoing>f_out</bpmn:outgoing>\n', "")
        .replace("</bpmn:extensionElements>\n", "</bpmn:extensionElements>\n      <bpmn:incoming>"
                 "f_in</bpmn:incoming>\n      <bpmn:outgoing>f_out</bpmn:outgoing>\n"))
    files["risk.dmn"] = DMN.replace(b'namespace="http://example.org/dmn"',
                                    b'namespace="http://example.org/dmn" '
                                    b'xmlns:camunda="http://camunda.org/schema/1.0/dmn"').replace(
        b'<input id="i1" label="Score">', b'<input id="i1" label="Score" '
                                          b'camunda:inputVariable="s">')
    (warning,) = [p for p in check_files(files, "p", lanes={LANE}) if p.severity == "warning"]
    assert warning.message == 'camunda:inputVariable on input "Score" is ignored'
    assert (warning.file, warning.line) == ("risk.dmn", line_of(files, "camunda:inputVariable",
                                                                "risk.dmn"))


def test_a_plain_task_is_refused_as_it_would_wait_with_no_form():
    files = diagram(_node("task", "Think"))
    problem = _only(files)
    assert problem.message.startswith("The task 'Think' is a plain task, which would wait in "
                                      "the inbox with no form.")
    assert (problem.element_id, problem.line) == ("x", line_of(files, "<bpmn:task"))


def test_an_event_definition_shared_by_reference_is_refused():
    files = diagram(_node("intermediateCatchEvent", "Wait for reply",
                          "      <bpmn:eventDefinitionRef>shared</bpmn:eventDefinitionRef>\n"),
                    before='  <bpmn:messageEventDefinition id="shared" />\n')
    problem = _only(files)
    assert problem.message.startswith('intermediate catch event "Wait for reply" refers to an '
                                      "event definition kept outside it")
    assert (problem.element_id, problem.line) == ("x", line_of(files, "<bpmn:eventDefinitionRef"))


def test_another_tools_extensions_are_named_once_for_the_namespace():
    files = diagram(user_task("x", "Review", "f_in", "f_out", extra=(
        "\n        <signavio:signavioMetaData metaKey=\"bgcolor\" metaValue=\"#fff\" />"))
        + user_task("y", "Approve", "", "").replace(
            "<bpmn:incoming></bpmn:incoming>\n      <bpmn:outgoing></bpmn:outgoing>\n", "")
        .replace("</spiffworkflow:properties>", "</spiffworkflow:properties>\n        "
                 '<signavio:signavioMetaData metaKey="bgcolor" metaValue="#fff" />'))
    (warning,) = [p for p in check_files(files, "p", lanes={LANE}) if p.severity == "warning"]
    assert warning.message == ('signavio:signavioMetaData on user task "Review" and 1 more of its '
                               "kind (signavio:*) is ignored: it is the modelling tool's own data")
    assert warning.line == line_of(files, "signavio:signavioMetaData")


@pytest.mark.parametrize("trigger", ['<bpmn:signalEventDefinition id="sd" signalRef="sig" />'])
def test_an_interrupting_signal_event_subprocess_is_refused(trigger):
    files = diagram(user_task("x", "A", "f_in", "f_out")
                    + '    <bpmn:subProcess id="es" name="Too late" triggeredByEvent="true">\n'
                      f'      <bpmn:startEvent id="s1" name="Late">{trigger}</bpmn:startEvent>\n'
                      "    </bpmn:subProcess>\n",
                    before='  <bpmn:signal id="sig" name="Go" />\n')
    problem = _only(files)
    assert " start event \"Late\" starts an interrupting event subprocess, which would not " \
           "stop the work it interrupts" in problem.message
    assert (problem.element_id, problem.line) == ("s1", line_of(files, '<bpmn:startEvent id="s1"'))


@pytest.mark.parametrize(("tag", "literal", "due"), [
    ("timeDate", "2026-03-28T10:00:00Z", T0 + timedelta(hours=1)),
    ("timeCycle", "R1/PT1H", T0 + timedelta(hours=1))])
def test_unquoted_date_and_cycle_timers_fire_when_due(tag, literal, due):
    files = diagram(_node("intermediateCatchEvent", "Wait", (
        f'      <bpmn:timerEventDefinition id="td">\n        <bpmn:{tag} '
        f'xsi:type="bpmn:tFormalExpression">{literal}</bpmn:{tag}>\n'
        "      </bpmn:timerEventDefinition>\n")))
    with time_machine.travel(T0, tick=False) as clock:
        instance = ProcessInstance.start(load_files(files, "p", lanes={LANE}), {})
        assert [t.due_at for t in instance.timers()] == [due]
        clock.shift(timedelta(hours=1, minutes=1))
        instance.fire_due_timers()
    assert instance.status().status == "completed"


def test_a_task_with_two_arrows_out_is_refused_with_the_gateway_to_draw():
    task = user_task("x", "Assess", "f_in", "f_out").replace(
        "<bpmn:outgoing>f_out</bpmn:outgoing>",
        "<bpmn:outgoing>f_out</bpmn:outgoing><bpmn:outgoing>f_b</bpmn:outgoing>")
    files = diagram(task + '    <bpmn:sequenceFlow id="f_b" sourceRef="x" targetRef="end" />\n')
    problem = next(p for p in _problems(files) if p.element_id == "x")
    assert problem.message == (
        'user task "Assess" has 2 arrows out of it, which cannot be run here: only a gateway '
        "may split the flow. Draw a parallel gateway after it to take every way at once, or an "
        "exclusive gateway to choose one")
    assert problem.line == line_of(files, '<bpmn:userTask id="x"')
