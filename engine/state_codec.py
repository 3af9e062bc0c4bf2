"""The stored form of a running instance (format 3): compact, spec-less, fast to read back.

SpiffWorkflow's own serializer writes every task as a dictionary walked by its type registry and
rebuilds it the same way; on a CSODS case that cost more than the engine's own work for a step.
This codec writes what a task is made of as one flat row and restores it without the registry:

- ``processes``: the top-level workflow first, then each live subprocess after the process
  holding its calling task; each task is ``[id, spec, state, last_state_change, triggered,
  parent, children, internal_data, blob]`` with ``parent``, ``children`` as row indexes.
- ``blobs``: task data, each distinct value once, written as ``[base, changed, removed]``
  against the parent's blob when there is one. A task whose data equals its parent's (most of
  them) points at the parent's blob. On load every live task gets its own top-level dictionary,
  with nested values copied one level deep: the same sharing ``Task._inherit_data`` (DeepMerge)
  gives tasks in memory, so a restored case behaves as the one that was saved. Finished tasks
  with equal data share one dictionary: SpiffWorkflow only reads a finished task's data (its
  children copy it), and a task that is reset gets a fresh copy.
- Values JSON cannot hold (dates, decimals), in task data or a task's internal data, go through
  SpiffWorkflow's registry and are marked by ``typed``; user data cannot hold a ``typename`` key
  (the instance refuses it), so the registry's markers are never confused with a form's fields.

Finished subprocesses are pruned on save (their completed element ids kept in ``history``), as
before.

The state opens with its header: ``format`` (FORMAT) and ``spiffworkflow``, the version of the
library that wrote it, so that state stored today can be told apart after an upgrade. Format 2
is the same rows written before the header named the library; state without ``format`` at all
(format 0/1, SpiffWorkflow's JSON without the spec) is read by ``serializer``. The attributes of
SpiffWorkflow's objects are listed below as stored or rebuilt; tests/processes/test_state_guard.py
fails when a SpiffWorkflow upgrade adds one the codec does not know, and the golden states in
tests/processes/golden/ must keep loading.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from importlib.metadata import version
from types import ModuleType
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

FORMAT = 3
READABLE_FORMATS = frozenset({2, FORMAT})  # 2: format 3 without the ``spiffworkflow`` header
SPIFFWORKFLOW_VERSION = version("SpiffWorkflow")

# Every attribute SpiffWorkflow's objects hold, and what the codec does with it. STORED: written
# by ``encode`` and set back by ``decode`` (``task_spec`` and a subprocess's ``spec`` by name,
# ``subprocesses`` as rows naming their caller). REBUILT: made again on load, holding no case
# state: the owner (``workflow``, ``top_workflow``, ``depth``), the specs (from ``spec_key``), the
# event manager (refilled from the waiting tasks), signals and locks (empty between steps), the
# script engine (re-attached by the instance), ``thread_id`` (unused by BPMN). OURS: set by this
# engine. tests/processes/test_state_guard.py compares them with a live case's objects.
TASK_STORED = frozenset({"id", "task_spec", "_state", "last_state_change", "triggered",
                         "_parent", "_children", "internal_data", "data"})
TASK_REBUILT = frozenset({"workflow", "thread_id"})
_PROCESS_STORED = frozenset({"tasks", "task_tree", "data", "correlations", "success",
                             "completed", "last_task"})
_PROCESS_REBUILT = frozenset({"completed_event", "task_removed_event", "locks"})
WORKFLOW_STORED = _PROCESS_STORED | {"bpmn_events", "subprocesses"}
WORKFLOW_REBUILT = _PROCESS_REBUILT | {"spec", "subprocess_specs", "event_manager",
                                       "_BpmnWorkflow__script_engine"}
WORKFLOW_OURS = frozenset({"spec_key", "history"})
SUBPROCESS_STORED = _PROCESS_STORED | {"spec", "parent_task_id"}
SUBPROCESS_REBUILT = _PROCESS_REBUILT | {"top_workflow", "depth"}
# Deeper than any form (the API refuses bodies past 64 levels) plus the codec's own wrapping.
MAX_DATA_DEPTH = 100
_NESTING = (dict, list, tuple, set, frozenset)
_MUTABLE = (dict, list, set)
_WAITING = TaskState.WAITING
_FINISHED_MASK = TaskState.FINISHED_MASK
_FREE, _LIVE, _FINISHED = 0, 1, 2
_SAFE_UNKNOWN = uuid.SafeUUID.unknown
_new_uuid = object.__new__
_new_task = Task.__new__
_set = object.__setattr__


def uuid_from_hex(hex_text: str) -> uuid.UUID:
    """uuid.UUID(hex=...) without its re-validation (the text is our own)."""
    value = _new_uuid(uuid.UUID)
    _set(value, "int", int(hex_text, 16))
    _set(value, "is_safe", _SAFE_UNKNOWN)
    return value


def _inherited(data: Mapping[str, Any]) -> dict[str, Any]:
    """A task's own copy of shared data, as ``DeepMerge.merge({}, data)`` makes it."""
    return {k: v.copy() if isinstance(v, _MUTABLE) else v for k, v in data.items()}


# -- writing ------------------------------------------------------------------------------------
def encode(workflow: BpmnWorkflow, registry: Any, live: Mapping[Any, Any],
           history: list[str]) -> str:
    """The instance as JSON text; ``live`` are the subprocesses to keep (the rest pruned).

    What diagram code may leave in the data is stored as SpiffWorkflow's own serializer stores
    it: sets as lists, functions as nothing (dropped at the top level, null inside a value).
    Anything else JSON cannot hold goes through the registry or raises TypeError.
    """
    typed = callables = False

    def default(value: Any) -> Any:
        nonlocal typed, callables
        if callable(value) or isinstance(value, ModuleType):
            callables = True
            return None
        if isinstance(value, (set, frozenset)):
            return list(value)
        converted = registry.convert(value)
        if converted is value or type(converted) is type(value):
            raise TypeError(f"{type(value).__name__} values cannot be stored in case data")
        typed = True
        return converted

    state = _state(workflow, registry, live, history, clean=False)
    _refuse_deep(state)
    text = json.dumps(state, default=default, separators=(",", ":"))
    if callables:  # rare: drop the top-level ones, as SpiffWorkflow's ``clean`` does
        state = _state(workflow, registry, live, history, clean=True)
        text = json.dumps(state, default=default, separators=(",", ":"))
    if typed:  # rare: write the marker the first pass discovered
        state["typed"] = True
        text = json.dumps(state, default=default, separators=(",", ":"))
    return text


def _refuse_deep(state: Mapping[str, Any]) -> None:
    """Refuse data nested deeper than MAX_DATA_DEPTH. JSON could still hold a few hundred
    levels, but SpiffWorkflow copies and merges task data recursively on every later step: a
    case saved with a 300-deep list could never be stepped again. Walked without recursion."""
    stack: list[tuple[Any, int]] = [(blob, 1) for blob in state["blobs"]]
    stack += [(row["data"], 1) for row in state["processes"]]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue
        if depth > MAX_DATA_DEPTH:
            raise ValueError(f"case data is nested more than {MAX_DATA_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, _NESTING))


def _state(workflow: BpmnWorkflow, registry: Any, live: Mapping[Any, Any], history: list[str],
           *, clean: bool) -> dict[str, Any]:
    blobs: list[Any] = []
    processes = [_encode_process(workflow, registry, blobs, clean)]
    for sub in _in_creation_order(workflow, live):
        row = _encode_process(sub, registry, blobs, clean)
        row["spec"] = sub.spec.name
        row["caller"] = sub.parent_task_id.hex
        processes.append(row)
    return {
        "format": FORMAT, "spiffworkflow": SPIFFWORKFLOW_VERSION,
        "spec_key": workflow.spec_key, "history": history,
        "bpmn_events": registry.convert(workflow.bpmn_events), "processes": processes,
        "blobs": blobs,
    }


def _in_creation_order(workflow: BpmnWorkflow, live: Mapping[Any, Any]) -> list[Any]:
    """Live subprocesses, each after the process that holds its calling task."""
    ordered: list[Any] = []
    frontier = [workflow]
    while frontier:
        process = frontier.pop(0)
        for task_id in process.tasks:
            sub = live.get(task_id)
            if sub is not None:
                ordered.append(sub)
                frontier.append(sub)
    return ordered


def _encode_process(process: Any, registry: Any, blobs: list[Any],
                    clean: bool) -> dict[str, Any]:
    tasks = list(process.tasks.values())
    # Keyed by the ids' integers: hashing a UUID object runs Python code, an int's does not.
    index = {task.id.int: i for i, task in enumerate(tasks)}
    blob_of = [-1] * len(tasks)
    rows = []
    for i, task in enumerate(tasks):
        parent = index.get(task._parent.int, -1) if task._parent is not None else -1
        data = task.data
        if data:
            if clean:
                data = registry.clean(data)
            base = blob_of[parent] if parent >= 0 else -1
            if base < 0:
                blob_of[i] = _blob_index(blobs, data)
            elif _same(data, tasks[parent].data):
                blob_of[i] = base
            else:
                blob_of[i] = _delta(blobs, base, tasks[parent].data, data)
        internal = task.internal_data
        rows.append([
            task.id.hex, task.task_spec.name, task._state, task.last_state_change,
            task.triggered, parent, [index[c.int] for c in task._children],
            internal or 0, blob_of[i],
        ])
    last = process.last_task
    return {
        "data": registry.convert(registry.clean(process.data)),
        "correlations": process.correlations, "success": process.success,
        "completed": process.completed,
        "last_task": index.get(last.id.int) if last is not None else None,
        "root": index[process.task_tree.id.int], "tasks": rows,
    }


def _blob_index(blobs: list[Any], data: dict[str, Any]) -> int:
    """Index of ``data`` in ``blobs``, appended if new (a subprocess starts with a copy of its
    caller's data, so equal values recur across processes)."""
    size = len(data)
    for i in range(len(blobs) - 1, -1, -1):
        if type(blobs[i]) is dict and len(blobs[i]) == size and _same(blobs[i], data):
            return i
    blobs.append(data)
    return len(blobs) - 1


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal, with the same type for each top-level value: Python finds True == 1 == 1.0, and
    sharing one stored value would hand a task the other's type. (Inside nested values the
    comparison is Python's, as in SpiffWorkflow's own delta format.)"""
    return a == b and list(map(type, a.values())) == list(map(type, b.values()))


def _delta(blobs: list[Any], base: int, before: dict[str, Any], data: dict[str, Any]) -> int:
    """Append ``data`` as its changes from its parent's blob ``base``."""
    missing = object()
    changed = {k: v for k, v in data.items()
               if (old := before.get(k, missing)) != v or type(old) is not type(v)}
    removed = [k for k in before if k not in data]
    blobs.append([base, changed, removed])
    return len(blobs) - 1


# -- reading ------------------------------------------------------------------------------------
def decode(state: Mapping[str, Any], registry: Any,
           spec_for: Callable[[str], tuple[Any, Mapping[str, Any]]]) -> BpmnWorkflow:
    """Rebuild the workflow from ``encode``'s JSON (already parsed)."""
    key = state["spec_key"]
    spec, subprocess_specs = spec_for(key)
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.spec_key = key
    workflow.history = state.get("history", [])
    blobs = state["blobs"]
    typed = bool(state.get("typed"))
    if typed:
        blobs = registry.restore(blobs)
    for i, blob in enumerate(blobs):
        if type(blob) is list:  # [base, changed, removed]: resolved in order (base < i)
            base, changed, removed = blob
            value = _inherited(blobs[base])
            value.update(changed)
            for key in removed:
                value.pop(key, None)
            blobs[i] = value
    owner = [_FREE] * len(blobs)
    events = workflow.event_manager
    processes = state["processes"]
    _decode_process(workflow, processes[0], registry, blobs, owner=owner, events=events,
                    typed=typed)
    for row in processes[1:]:
        caller_id = uuid_from_hex(row["caller"])
        caller = workflow.tasks.get(caller_id) or next(
            (s.tasks[caller_id] for s in workflow.subprocesses.values() if caller_id in s.tasks),
            None)
        sub_spec = subprocess_specs.get(row["spec"])
        if caller is None or sub_spec is None or not isinstance(caller.task_spec, SubWorkflowTask):
            raise KeyError(f"subprocess {row['spec']} has no caller")
        sub = BpmnSubWorkflow(sub_spec, caller.id, workflow, deserializing=True)
        _decode_process(sub, row, registry, blobs, owner=owner, events=events, typed=typed)
        workflow.subprocesses[caller.id] = sub
        sub.completed_event.connect(caller.task_spec._on_subworkflow_completed, caller)
    workflow.bpmn_events = registry.restore(state.get("bpmn_events", []))
    return workflow


def _decode_process(process: Any, row: Mapping[str, Any], registry: Any, blobs: list[Any], *,
                    owner: list[int], events: Any, typed: bool) -> None:
    task_specs = process.spec.task_specs
    rows = row["tasks"]
    ids = [uuid_from_hex(r[0]) for r in rows]
    tasks: dict[uuid.UUID, Task] = {}
    restore = registry.restore
    for task_id, (_, spec_name, state, changed, triggered, parent, children, internal,
                  blob) in zip(ids, rows, strict=True):
        task_spec = task_specs[spec_name]
        if blob < 0:
            data: dict[str, Any] = {}
        else:
            # The parsed value is shared by finished tasks (nothing changes their data in place)
            # or owned by one live task; every other task gets its own copy.
            claim = _FINISHED if state & _FINISHED_MASK else _LIVE
            if owner[blob] == _FREE or owner[blob] == claim == _FINISHED:
                data = blobs[blob]
                owner[blob] = claim
            else:
                data = _inherited(blobs[blob])
        task = _new_task(Task)
        task.__dict__ = {
            "id": task_id, "workflow": process, "_parent": ids[parent] if parent >= 0 else None,
            "_children": [ids[c] for c in children], "_state": state, "triggered": triggered,
            "task_spec": task_spec, "thread_id": Task.thread_id_pool, "data": data,
            "internal_data": (restore(internal) if typed else internal) if internal else {},
            "last_state_change": changed,
        }
        tasks[task_id] = task
        if state == _WAITING and isinstance(task_spec, CatchingEvent):
            events.add_task(task)
    process.tasks = tasks
    process.task_tree = tasks[ids[row["root"]]]
    process.success = row["success"]
    process.completed = row.get("completed", False)
    process.correlations = row.get("correlations", {})
    last = row["last_task"]
    process.last_task = tasks[ids[last]] if last is not None else None
    process.data = restore(row.get("data", {}))
