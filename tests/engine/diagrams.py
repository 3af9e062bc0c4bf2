"""Minimal one-lane diagrams for construct tests (start -> the element(s) under test -> end),
checked and driven through the engine facade."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from engine import ProcessInstance, check_files, load_files

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  xmlns:activiti="http://activiti.org/bpmn"
                  xmlns:signavio="http://www.signavio.com"
                  id="p_definitions" targetNamespace="http://bpmn.io/schema/bpmn">
"""
# The values the diagrams read: answered on the form, so that the checker finds them provided.
FORM = (b'{"type": "object", "properties": {"approved": {"type": "boolean"}, '
        b'"go": {"type": "integer"}, "score": {"type": "number"}}}')
LANE = "Case officer"
T0 = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
MESSAGE = '  <bpmn:message id="m" name="Reply" />\n'
SIGNAL = '  <bpmn:signal id="sig" name="Go" />\n'


def user_task(task_id: str, name: str, incoming: str, outgoing: str, *, extra: str = "",
              attrs: str = "") -> str:
    """A user task with the test form, in the one lane."""
    return f"""    <bpmn:userTask id="{task_id}" name="{name}"{attrs}>
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="f.schema.json" />
        </spiffworkflow:properties>{extra}
      </bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>
"""


def diagram(body: str, *, first: str = "x", last: str = "x", before: str = "",
            artifacts: str = "", process_attrs: str = "") -> dict[str, bytes]:
    """Files of process ``p``: start -f_in-> ``first`` ... ``last`` -f_out-> end, ``body``
    holding the elements in between (and the flows among them); ``before`` goes ahead of the
    process (messages, errors, data stores, collaborations), ``artifacts`` after its flow
    elements (text annotations, associations, groups)."""
    ids = sorted({"start", "end", *_ids(body)})
    refs = "".join(f"        <bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>\n" for i in ids)
    xml = HEAD + before + f"""  <bpmn:process id="p" isExecutable="true"{process_attrs}>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane" name="{LANE}">
{refs}      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start">
      <bpmn:outgoing>f_in</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f_in" sourceRef="start" targetRef="{first}" />
{body}    <bpmn:sequenceFlow id="f_out" sourceRef="{last}" targetRef="end" />
    <bpmn:endEvent id="end" name="End">
      <bpmn:incoming>f_out</bpmn:incoming>
    </bpmn:endEvent>
{artifacts}  </bpmn:process>
</bpmn:definitions>
"""
    return {"p.bpmn": xml.encode(), "forms/f.schema.json": FORM}


def _ids(body: str) -> list[str]:
    """Ids of the body's top-level flow nodes (what a lane lists)."""
    root = etree.fromstring(HEAD.split("\n", 1)[1].replace("id=\"p_definitions\"", "")
                            + body + "</bpmn:definitions>")
    skip = {"sequenceFlow", "dataObject", "dataObjectReference", "dataStoreReference",
            "textAnnotation", "association", "group"}
    return [e.get("id") for e in root
            if isinstance(e.tag, str) and etree.QName(e).localname not in skip and e.get("id")]


def line_of(files: dict[str, bytes], needle: str, name: str = "p.bpmn") -> int:
    for number, line in enumerate(files[name].decode().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def start_clean(files, data=None) -> ProcessInstance:
    assert check_files(files, "p", lanes={LANE}) == []
    return ProcessInstance.start(load_files(files, "p", lanes={LANE}), data or {})


def drive(instance: ProcessInstance, answers=None, messages=()) -> list[str]:
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


def completed(instance: ProcessInstance) -> set[str]:
    assert instance.status().status == "completed"
    return set(instance.completed_bpmn_ids())


def with_start_trigger(files, trigger: bytes) -> dict[str, bytes]:
    out = dict(files)
    out["p.bpmn"] = files["p.bpmn"].replace(b"<bpmn:outgoing>f_in</bpmn:outgoing>",
                                            b"<bpmn:outgoing>f_in</bpmn:outgoing>" + trigger)
    return out
