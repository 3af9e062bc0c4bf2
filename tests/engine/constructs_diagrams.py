"""Minimal diagrams drawn our way (every flow node in a lane, user tasks with a form), built
from a process body so each construct test shows only the construct."""

from __future__ import annotations

import json

from lxml import etree

from engine import Definition, load_files

LANE = "Officer"
FORM = "done.schema.json"
_FLOW_NODES = {
    "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent",
    "boundaryEvent", "userTask", "manualTask", "scriptTask", "businessRuleTask", "task",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "subProcess", "callActivity",
}
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">'
)
_FORM_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Done",
    "type": "object", "additionalProperties": False,
    "properties": {"note": {"type": "string", "title": "Note", "maxLength": 200}},
}


def user_task(task_id: str, incoming: str, outgoing: str, name: str = "") -> str:
    """A user task with the shared form."""
    return (f'<bpmn:userTask id="{task_id}" name="{name or task_id}"><bpmn:extensionElements>'
            f'<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
            f'value="{FORM}" /></spiffworkflow:properties></bpmn:extensionElements>'
            f'<bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>'
            '</bpmn:userTask>')


def flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
            '</bpmn:conditionExpression>') if condition else ""
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f'{cond}</bpmn:sequenceFlow>')


def bpmn(body: str, *, globals_: str = "", process_id: str = "p") -> bytes:
    """A definitions document with one process holding ``body``, all of it in one lane."""
    ns = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    probe = etree.fromstring(f'{_HEAD}<bpmn:process id="{process_id}">{body}</bpmn:process>'
                             '</bpmn:definitions>'.encode())
    refs = "".join(f"<bpmn:flowNodeRef>{el.get('id')}</bpmn:flowNodeRef>" for el in probe.iter()
                   if isinstance(el.tag, str) and etree.QName(el).namespace == ns
                   and etree.QName(el).localname in _FLOW_NODES)
    lanes = (f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_officer" name="{LANE}">{refs}'
             '</bpmn:lane></bpmn:laneSet>')
    return (f'{_HEAD}{globals_}<bpmn:process id="{process_id}" isExecutable="true">{lanes}{body}'
            '</bpmn:process></bpmn:definitions>').encode()


def files(body: str, *, globals_: str = "", dmn: dict[str, str] | None = None
          ) -> dict[str, bytes]:
    found = {"p.bpmn": bpmn(body, globals_=globals_),
             f"forms/{FORM}": json.dumps(_FORM_SCHEMA).encode()}
    for name, text in (dmn or {}).items():
        found[name] = text.encode()
    return found


def definition(body: str, *, globals_: str = "", dmn: dict[str, str] | None = None) -> Definition:
    return load_files(files(body, globals_=globals_, dmn=dmn), "p", lanes={LANE})
