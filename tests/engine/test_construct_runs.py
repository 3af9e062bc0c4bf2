"""The activities, gateways and data the support table (docs/bpmn-support.md) lists as
running: a minimal diagram of each, checked clean and driven through the facade to its end."""

from __future__ import annotations

from .diagrams import LANE, MESSAGE, SIGNAL, completed, diagram, drive, start_clean, user_task


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
    instance = start_clean(diagram(body, last="j"))
    assert sorted(drive(instance)) == ["a", "b"]
    assert {"j", "end"} <= completed(instance)


def test_an_inclusive_gateway_runs_the_branches_whose_conditions_hold_and_joins():
    body = _split_join("inclusiveGateway",
                       '    <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="a">'
                       "<bpmn:conditionExpression>go == 1</bpmn:conditionExpression>"
                       "</bpmn:sequenceFlow>\n" + user_task("a", "A", "f1", "f3"),
                       '    <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="b" />\n'
                       + user_task("b", "B", "f2", "f4"), ' default="f2"')
    instance = start_clean(diagram(body, last="j"), {"go": 1})
    assert drive(instance) == ["a"]
    assert "end" in completed(instance)


def test_an_embedded_subprocess_runs_its_tasks():
    body = ('    <bpmn:subProcess id="x" name="Inner"><bpmn:incoming>f_in</bpmn:incoming>'
            "<bpmn:outgoing>f_out</bpmn:outgoing>\n"
            '      <bpmn:startEvent id="s1"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>\n'
            '      <bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="in" />\n'
            + user_task("in", "Inner task", "g1", "g2")
            + '      <bpmn:sequenceFlow id="g2" sourceRef="in" targetRef="e1" />\n'
              '      <bpmn:endEvent id="e1"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>\n'
              "    </bpmn:subProcess>\n")
    instance = start_clean(diagram(body))
    assert drive(instance) == ["in"]
    assert {"x", "e1", "end"} <= completed(instance)


def test_a_call_activity_runs_the_called_process():
    files = diagram('    <bpmn:callActivity id="x" name="Stage" calledElement="q">'
                    "<bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>"
                    "</bpmn:callActivity>\n")
    files["q.bpmn"] = diagram(user_task("qt", "Called task", "f_in", "f_out"), first="qt",
                              last="qt")["p.bpmn"].replace(b'id="p"', b'id="q"').replace(
        b"p_definitions", b"q_definitions")
    instance = start_clean(files)
    assert drive(instance) == ["qt"]
    assert "end" in completed(instance)


def test_a_receive_task_and_a_message_catch_event_wait_for_their_message():
    body = ('    <bpmn:receiveTask id="x" name="Wait" messageRef="m"><bpmn:incoming>f_in'
            "</bpmn:incoming><bpmn:outgoing>f_mid</bpmn:outgoing></bpmn:receiveTask>\n"
            '    <bpmn:sequenceFlow id="f_mid" sourceRef="x" targetRef="c" />\n'
            '    <bpmn:intermediateCatchEvent id="c" name="Wait again"><bpmn:incoming>f_mid'
            '</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing><bpmn:messageEventDefinition '
            'id="md" messageRef="m" /></bpmn:intermediateCatchEvent>\n')
    instance = start_clean(diagram(body, last="c", before=MESSAGE))
    assert instance.status().waiting_messages == ("Reply",)
    drive(instance, messages=["Reply", "Reply"])
    assert {"x", "c", "end"} <= completed(instance)


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
    instance = start_clean(diagram(body, last="n", before=MESSAGE))
    assert {"x", "t", "n", "end"} <= completed(instance)


def test_multi_instance_tasks_run_once_per_item_in_parallel_and_in_sequence():
    for sequential in ("false", "true"):
        task = user_task("x", "Review", "f_in", "f_out").replace(
            "</bpmn:userTask>", f'<bpmn:multiInstanceLoopCharacteristics isSequential='
                                f'"{sequential}"><bpmn:loopCardinality>2</bpmn:loopCardinality>'
                                "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
        instance = start_clean(diagram(task))
        assert drive(instance) == ["x", "x"]
        assert "end" in completed(instance)


def test_a_standard_loop_repeats_its_task_while_the_condition_holds():
    task = user_task("x", "Review", "f_in", "f_out").replace(
        "</bpmn:userTask>", "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>"
                            "not approved</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
                            "</bpmn:userTask>")
    instance = start_clean(diagram(task))
    instance.complete_task(instance.human_tasks()[0].task_id, {"approved": False}, lanes={LANE})
    assert drive(instance) == ["x"]  # asked again, then done
    assert "end" in completed(instance)


def test_a_data_object_receives_what_a_script_writes():
    body = ('    <bpmn:scriptTask id="x" name="Set"><bpmn:incoming>f_in</bpmn:incoming>'
            '<bpmn:outgoing>f_out</bpmn:outgoing><bpmn:dataOutputAssociation id="doa">'
            "<bpmn:targetRef>dor</bpmn:targetRef></bpmn:dataOutputAssociation>"
            "<bpmn:script>obj = 5</bpmn:script></bpmn:scriptTask>\n"
            '    <bpmn:dataObject id="obj" name="Obj" />\n'
            '    <bpmn:dataObjectReference id="dor" name="Obj" dataObjectRef="obj" />\n')
    instance = start_clean(diagram(body))
    assert "end" in completed(instance)
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
    instance = start_clean(files)
    assert drive(instance) == ["x"]
    assert "end" in completed(instance)


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
    instance = start_clean(files, {"score": 12})
    assert "end" in completed(instance)
    assert instance.data()["level"] == "high"


def test_process_data_inputs_and_outputs_are_not_required_at_the_start_of_a_case():
    files = diagram(user_task("x", "A", "f_in", "f_out"))
    files["p.bpmn"] = files["p.bpmn"].replace(
        b'<bpmn:laneSet id="lanes">',
        b'<bpmn:ioSpecification id="io"><bpmn:dataInput id="applicant" name="applicant" />'
        b'<bpmn:dataOutput id="approved" name="approved" /><bpmn:inputSet id="is">'
        b"<bpmn:dataInputRefs>applicant</bpmn:dataInputRefs></bpmn:inputSet>"
        b'<bpmn:outputSet id="os"><bpmn:dataOutputRefs>approved</bpmn:dataOutputRefs>'
        b'</bpmn:outputSet></bpmn:ioSpecification>\n    <bpmn:laneSet id="lanes">')
    instance = start_clean(files, {})  # no 'applicant': the case still starts
    assert drive(instance) == ["x"]
    assert "end" in completed(instance)


def test_a_pre_script_runs_when_the_task_is_offered_and_a_post_script_when_done():
    task = user_task("x", "A", "f_in", "f_out", extra=(
        "\n        <spiffworkflow:preScript>asked = 1</spiffworkflow:preScript>"
        "\n        <spiffworkflow:postScript>answered = asked + 1</spiffworkflow:postScript>"))
    instance = start_clean(diagram(task))
    assert instance.data()["asked"] == 1
    drive(instance)
    assert instance.data()["answered"] == 2


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
    instance = start_clean(diagram(body, last="j", before=SIGNAL))
    assert drive(instance) == ["u"]
    assert {"a", "b", "end"} <= completed(instance)
