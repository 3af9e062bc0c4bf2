"""Small diagrams written inline for the checker's tests: a process body, wrapped in one lane
with a form, so that only the problem under test is reported."""

from __future__ import annotations

import json
import re

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="p" name="Test" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane" name="Case officer">
{refs}
      </bpmn:lane>
    </bpmn:laneSet>
"""
TAIL = """  </bpmn:process>
</bpmn:definitions>
"""
FORM = {"type": "object", "properties": {"decision": {"type": "string",
                                                      "enum": ["approve", "refuse"]},
                                         "urgent": {"type": "boolean"},
                                         "notes": {"type": "string"}}}

SCHEME = {"format": 1, "title": "Test", "intake": "a", "lanes": {"Case officer": "officer"}}


def user_task(task_id: str, name: str, incoming: str = "", outgoing: str = "",
              instructions: str = "") -> str:
    """A user task with the test form; flows given as space-separated ids."""
    text = (f"<spiffworkflow:instructionsForEndUser>{instructions}"
            "</spiffworkflow:instructionsForEndUser>" if instructions else "")
    return (f'    <bpmn:userTask id="{task_id}" name="{name}">\n'
            f"      <bpmn:extensionElements>{text}<spiffworkflow:properties>"
            '<spiffworkflow:property name="formJsonSchemaFilename" value="f.schema.json" />'
            "</spiffworkflow:properties></bpmn:extensionElements>\n"
            + _refs("incoming", incoming) + _refs("outgoing", outgoing)
            + "    </bpmn:userTask>\n")


def flow(flow_id: str, source: str, target: str, condition: str = "", name: str = "") -> str:
    named = f' name="{name}"' if name else ""
    if not condition:
        return (f'    <bpmn:sequenceFlow id="{flow_id}"{named} sourceRef="{source}" '
                f'targetRef="{target}" />\n')
    return (f'    <bpmn:sequenceFlow id="{flow_id}"{named} sourceRef="{source}" '
            f'targetRef="{target}">\n      <bpmn:conditionExpression xsi:type='
            f'"bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>\n'
            "    </bpmn:sequenceFlow>\n")


def node(tag: str, node_id: str, *, name: str = "", incoming: str = "", outgoing: str = "",
         attrs: str = "", inner: str = "") -> str:
    named = f' name="{name}"' if name else ""
    return (f'    <bpmn:{tag} id="{node_id}"{named}{attrs}>\n' + _refs("incoming", incoming)
            + _refs("outgoing", outgoing) + inner + f"    </bpmn:{tag}>\n")


def _refs(tag: str, ids: str) -> str:
    return "".join(f"      <bpmn:{tag}>{i}</bpmn:{tag}>\n" for i in ids.split())


def files(body: str) -> dict[str, bytes]:
    """The definition's files: the diagram (every user task in the lane), its form and its
    declarations (intake 'a')."""
    ids = re.findall(r'<bpmn:userTask id="([^"]+)"', body)
    refs = "\n".join(f"        <bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return {"p.bpmn": (HEAD.format(refs=refs) + body + TAIL).encode(),
            "forms/f.schema.json": json.dumps(FORM).encode(),
            "scheme.json": json.dumps(SCHEME).encode()}


def line_of(data: bytes, needle: str) -> int:
    for number, line in enumerate(data.decode().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)
