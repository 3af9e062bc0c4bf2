"""Spec-less instance state: the spec is stored once per definition version, not in every case.

SpiffWorkflow's own JSON embeds the whole process spec (about 60% of the bytes, and most of the
load time). Here the instance JSON carries only ``spec_key`` (the definition's content hash), and
the parsed spec objects are looked up in a per-process cache that the definitions module fills.
The task tree is written by ``state_codec`` (format 3, with a header naming the format and the
SpiffWorkflow version); state written earlier, as SpiffWorkflow's JSON without the spec, is
still read through SpiffWorkflow's converters below.
"""

from __future__ import annotations

import gc
import json
import threading
import uuid
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine import state_codec
from engine.errors import EngineError

# zlib level 1: most of the size gain for a fraction of the time of the default level.
COMPRESSION_LEVEL = 1

SpecPair = tuple[Any, Mapping[str, Any]]
_SPECS: dict[str, SpecPair] = {}
_local = threading.local()


def register_spec(key: str, spec: Any, subprocess_specs: Mapping[str, Any]) -> None:
    """Make a parsed spec available to instances whose state names ``key``."""
    _SPECS[key] = (spec, subprocess_specs)


def spec_for(key: str) -> SpecPair:
    if key not in _SPECS:
        raise EngineError("unknown_definition", f"No process definition with hash {key}.")
    return _SPECS[key]


class _SpecCacheWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Reads state written before format 2 (SpiffWorkflow's JSON without the spec)."""

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        key = dct.pop("spec_key")
        spec, subprocess_specs = spec_for(key)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.spec_key = key
        workflow.history = dct.pop("history", [])
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(text: str) -> uuid.UUID:
    """uuid.UUID(text) without its validation overhead (a fifth of the load time)."""
    return state_codec.uuid_from_hex(text.replace("-", ""))


class _LeanTaskConverter(TaskConverter):  # type: ignore[misc]
    """The stock task converter, minus work that does not change the result.

    Predicted tasks hold no data until they become ready (they inherit it then); the stock
    converter writes their empty data as "delete every key of the parent", which on load copies
    the parent's whole data only to delete it again. Empty parts are not walked on load.
    """

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=_uuid(dct["id"]))
        parent = dct["parent"]
        task._parent = _uuid(parent) if parent is not None else None
        task._children = [_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            updates = delta.get("updates")
            if updates:
                data.update(self.registry.restore(updates))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"]) if dct["data"] else {}
        task.data = data
        return task


def _live_subprocesses(workflow: BpmnWorkflow) -> tuple[dict[Any, Any], list[str]]:
    """Subprocesses still needed, and the elements that ran in those dropped.

    A subprocess whose calling task has finished will never run again, and its data already
    flowed back to the caller; only which elements ran is worth keeping (for the diagram).
    Dropping them keeps each save and load proportional to the live part of the case.
    """
    history = set(getattr(workflow, "history", []))
    live = {}
    for sub_id, sub in workflow.subprocesses.items():
        caller = workflow.tasks.get(sub.parent_task_id) or _find_task(workflow, sub.parent_task_id)
        if caller is not None and caller.has_state(TaskState.FINISHED_MASK):
            history.update(t.task_spec.bpmn_id for t in sub.tasks.values()
                           if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id)
        else:
            live[sub_id] = sub
    return live, sorted(history)


def _find_task(workflow: BpmnWorkflow, task_id: uuid.UUID) -> Any:
    for sub in workflow.subprocesses.values():
        if task_id in sub.tasks:
            return sub.tasks[task_id]
    return None


def _serializer() -> BpmnWorkflowSerializer:
    # serialize_json toggles state on the shared registry: one serializer per thread.
    ser = getattr(_local, "serializer", None)
    if ser is None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpecCacheWorkflowConverter
        config[Task] = _LeanTaskConverter
        registry = BpmnWorkflowSerializer.configure(config)
        registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
        ser = BpmnWorkflowSerializer(registry)
        _local.serializer = ser
    return ser


def full_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's stock serializer (spec embedded), for comparisons and spec export."""
    ser = getattr(_local, "full", None)
    if ser is None:
        ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        _local.full = ser
    return ser


def dump_json(workflow: BpmnWorkflow) -> str:
    """Serialize an instance without its spec, as JSON text (format 3, see state_codec)."""
    live, history = _live_subprocesses(workflow)
    try:
        return state_codec.encode(workflow, _serializer().registry, live, history)
    except (TypeError, ValueError, RecursionError) as exc:
        raise EngineError("unstorable_data", f"The case data cannot be stored: {exc}") from exc


def dump(workflow: BpmnWorkflow) -> bytes:
    """The stored form: spec-less JSON, zlib-compressed (task ids and keys repeat a lot)."""
    return zlib.compress(dump_json(workflow).encode(), COMPRESSION_LEVEL)


def load(state: bytes | memoryview | str) -> BpmnWorkflow:
    """Restore an instance; the caller re-attaches the script engine."""
    # Rebuilding allocates thousands of containers and frees none: the cyclic collector would
    # walk the heap several times per load for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        text = state if isinstance(state, str) else zlib.decompress(bytes(state)).decode()
        dct = json.loads(text)
        ser = _serializer()
        if dct.get("format") in state_codec.READABLE_FORMATS:
            workflow: BpmnWorkflow = state_codec.decode(dct, ser.registry, spec_for)
        else:  # written before format 2 (format 0/1: no header)
            workflow = ser.from_dict(dct)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError,
            zlib.error) as exc:
        raise EngineError("corrupt_state", f"Stored case state cannot be read: {exc}") from exc
    finally:
        if collecting:
            gc.enable()
    return workflow


def header(state: bytes | memoryview | str) -> tuple[int, str | None]:
    """The stored format of ``state`` and the SpiffWorkflow version that wrote it: (0, None)
    for state written before format 2, (2, None) before the header named the library."""
    try:
        text = state if isinstance(state, str) else zlib.decompress(bytes(state)).decode()
        dct = json.loads(text)
    except (ValueError, zlib.error) as exc:
        raise EngineError("corrupt_state", f"Stored case state cannot be read: {exc}") from exc
    return int(dct.get("format", 0)), dct.get("spiffworkflow")


def spec_json(spec: Any, subprocess_specs: Mapping[str, Any]) -> str:
    """The spec pair as JSON, to store once per definition version."""
    registry = full_serializer().registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
    })
