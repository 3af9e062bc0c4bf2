"""The heatmap's elements of a diagram: named in the diagram's words, and an element without a
name is described, never shown by its id."""

from __future__ import annotations

from engine import load_folder
from engine.diagram_elements import TASK, WAIT, timed_elements
from tests import factories
from tests.engine.constructs_diagrams import definition, flow, user_task


def definition_of(scheme: str):
    return load_folder(factories.ROOT / "processes" / scheme)

BODY = (
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + user_task("Activity_0x1abc", "f1", "f2", name="Check the record")
    + '<bpmn:intermediateCatchEvent id="Event_0wait"><bpmn:incoming>f2</bpmn:incoming>'
      '<bpmn:outgoing>f3</bpmn:outgoing><bpmn:messageEventDefinition messageRef="m" />'
      '</bpmn:intermediateCatchEvent>'
    + user_task("Activity_1nameless", "f3", "f4").replace(
        'name="Activity_1nameless"', "")
    + '<bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>'
    + flow("f1", "start", "Activity_0x1abc") + flow("f2", "Activity_0x1abc", "Event_0wait")
    + flow("f3", "Event_0wait", "Activity_1nameless") + flow("f4", "Activity_1nameless", "end")
)


def test_elements_are_named_in_words_and_unnamed_ones_are_described():
    elements = timed_elements(definition(BODY, globals_='<bpmn:message id="m" name="reply" />'))
    named = {e.bpmn_id: (e.name, e.kind) for e in elements}
    assert named == {"Activity_0x1abc": ("Check the record", TASK),
                     "Event_0wait": ("A wait without a name", WAIT),
                     "Activity_1nameless": ("A task without a name", TASK)}
    assert {e.process for e in elements} == {"A process without a name"}  # not its id 'p'
    csods = timed_elements(definition_of("csods"))
    assert all(e.name != e.bpmn_id and e.process for e in csods)
