"""The elements of a definition where a case spends time: a person's tasks (user and manual
tasks) and the events a case waits at on its path (intermediate catch events, receive tasks),
in the words of the diagram, for the heatmap (no SpiffWorkflow object leaves this module)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent as _BoundaryEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    IntermediateCatchEvent as _CatchEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    ReceiveTask as _ReceiveTask,
)

from engine.definitions import Definition

TASK, WAIT = "task", "wait"
UNNAMED_TASK, UNNAMED_WAIT = "A task without a name", "A wait without a name"
UNNAMED_PROCESS = "A process without a name"


@dataclass(frozen=True)
class DiagramElement:
    """One element a case can be at: its id, its name, whether a person works it (``task``)
    or the case waits for an event there (``wait``), and the name of the process holding it."""

    bpmn_id: str
    name: str
    kind: str
    process: str


@lru_cache(maxsize=64)
def timed_elements(definition: Definition) -> tuple[DiagramElement, ...]:
    """Every person's task and waiting event of the definition, process by process in the order
    the diagram declares them (a boundary event only watches an activity: not listed)."""
    found: list[DiagramElement] = []
    seen: set[str] = set()
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        # SpiffWorkflow gives a process without a name its id as description
        named = spec.description and spec.description != spec.name
        process = str(spec.description) if named else UNNAMED_PROCESS
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if not bpmn_id or bpmn_id in seen:
                continue
            if task_spec.manual:
                kind = TASK
            elif (isinstance(task_spec, (_CatchEvent, _ReceiveTask))
                  and not isinstance(task_spec, _BoundaryEvent)):
                kind = WAIT
            else:
                continue
            seen.add(bpmn_id)
            # an element without a name is described, never shown by its id
            name = task_spec.bpmn_name or (UNNAMED_TASK if kind == TASK else UNNAMED_WAIT)
            found.append(DiagramElement(bpmn_id, str(name), kind, process))
    return tuple(found)
