"""What a case waits for, and interrupting event subprocesses.

``waiting_definitions`` lists each event a case waits for, an event-based gateway's one by one.

Interrupting event subprocesses: once one starts, the rest of its parent process stops.

SpiffWorkflow 3.2 reads no ``isInterrupting``: every event subprocess runs beside the work it
should have stopped. After each step the facade calls ``interrupt``: an interrupting event
subprocess whose start event has fired cancels every unfinished task of the process holding it,
except its own line (the tasks it hangs from and its own children), so the parent completes
when the event subprocess does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.util.task import TaskState

from engine.xml_safety import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_cache: dict[str, frozenset[str]] = {}
_lock = threading.Lock()


def waiting_definitions(workflow: Any) -> list[tuple[Any, Any, Any]]:
    """(task, event definition, element) for every event the case waits for. An event-based
    gateway's task waits for all its events (one MultipleEventDefinition, in the order of its
    outputs): each is reported as the catch event that follows it."""
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        spec = task.task_spec
        definition = spec.event_definition
        if not isinstance(definition, MultipleEventDefinition):
            found.append((task, definition, spec))
            continue
        parts = definition.event_definitions
        by_output = isinstance(spec, EventBasedGateway) and len(spec.outputs) == len(parts)
        outputs = spec.outputs if by_output else [spec] * len(parts)
        found.extend((task, part, element) for part, element in zip(parts, outputs, strict=True))
    return found


def interrupting_ids(content_hash: str,
                     bpmn_files: Callable[[], Mapping[str, bytes]]) -> frozenset[str]:
    """BPMN ids of the event subprocesses whose start event interrupts (the default; error
    start events always interrupt). ``bpmn_files`` is called only the first time a definition
    is asked about (every instance loaded asks)."""
    with _lock:
        found = _cache.get(content_hash)
    if found is not None:
        return found
    ids = set()
    for name, data in bpmn_files().items():
        root = parse_xml(data, name)
        for sub in root.iter(f"{{{BPMN}}}subProcess"):
            if sub.get("triggeredByEvent") != "true":
                continue
            for start in sub.iterchildren(f"{{{BPMN}}}startEvent"):
                error = start.find(f"{{{BPMN}}}errorEventDefinition") is not None
                if error or start.get("isInterrupting", "true") != "false":
                    ids.add(str(sub.get("id")))
    found = frozenset(ids)
    with _lock:
        _cache[content_hash] = found
    return found


def _started(sub_workflow: Any) -> bool:
    starts = {s.name for s in sub_workflow.spec.bpmn_start_events}
    return any(t.state == TaskState.COMPLETED and t.task_spec.name in starts
               for t in sub_workflow.tasks.values())


def _under(task: Any, ancestor: Any) -> bool:
    node = task.parent
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _interrupting(workflow: Any, ids: frozenset[str]) -> list[Any]:
    """The tasks holding an interrupting event subprocess whose start event has fired."""
    found = []
    for sub_id, sub in list(workflow.subprocesses.items()):
        holder = workflow.tasks.get(sub_id)
        if holder is None:
            for other in workflow.subprocesses.values():
                holder = other.tasks.get(sub_id) or holder
        if holder is None or holder.task_spec.bpmn_id not in ids:
            continue
        if holder.state == TaskState.STARTED and _started(sub):
            found.append(holder)
    return found


def interrupted(workflow: Any, ids: frozenset[str]) -> set[int]:
    """``id()`` of each (sub)process an interrupting event subprocess has interrupted: it
    catches nothing more."""
    return {id(holder.workflow) for holder in _interrupting(workflow, ids)} if ids else set()


def interrupt(workflow: Any, ids: frozenset[str]) -> bool:
    """Cancel what each interrupting event subprocess that has started interrupts; True if
    anything was cancelled."""
    if not ids:
        return False
    cancelled = False
    for holder in _interrupting(workflow, ids):
        line = set()
        node = holder
        while node is not None:
            line.add(node.id)
            node = node.parent
        owner = holder.workflow
        for task in list(owner.tasks.values()):
            if (task.id in line or task.id not in owner.tasks or task.has_state(
                    TaskState.FINISHED_MASK) or _under(task, holder)):
                continue
            task.cancel()
            cancelled = True
    return cancelled
