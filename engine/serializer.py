"""Spec-less instance state: the spec is stored once per definition version, not in every case.

SpiffWorkflow's own JSON embeds the whole process spec (about 60% of the bytes, and most of the
load time). Here the instance JSON carries only ``spec_key`` (the definition's content hash), and
the parsed spec objects are looked up in a per-process cache that the definitions module fills.
"""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.errors import EngineError

# zlib level 1: most of the size gain for a fraction of the time of the default level.
COMPRESSION_LEVEL = 1

SpecPair = tuple[Any, Mapping[str, Any]]
_SPECS: dict[str, SpecPair] = {}
_SPEC_LOADERS: list[Callable[[str], SpecPair | None]] = []
_local = threading.local()


def register_spec(key: str, spec: Any, subprocess_specs: Mapping[str, Any]) -> None:
    """Make a parsed spec available to instances whose state names ``key``."""
    _SPECS[key] = (spec, subprocess_specs)


def add_spec_loader(loader: Callable[[str], SpecPair | None]) -> None:
    """Register a fallback that can produce a spec for an unknown key (e.g. from a database)."""
    _SPEC_LOADERS.append(loader)


def spec_for(key: str) -> SpecPair:
    if key not in _SPECS:
        for loader in _SPEC_LOADERS:
            found = loader(key)
            if found is not None:
                _SPECS[key] = found
                break
        else:
            raise EngineError("unknown_definition", f"No process definition with hash {key}.")
    return _SPECS[key]


class _SpecCacheWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(workflow)
        dct.pop("spec")
        dct.pop("subprocess_specs")
        dct["spec_key"] = workflow.spec_key
        _prune_finished_subprocesses(workflow, dct)
        return dct

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


def _prune_finished_subprocesses(workflow: BpmnWorkflow, dct: dict[str, Any]) -> None:
    """Drop subprocesses whose calling task has finished: nothing will run in them again.

    Their data already flowed back to the calling task. What remains useful (which elements
    ran, for the diagram) is kept as ``history``. This keeps each save and load proportional
    to the live part of the case, and a finished case small.
    """
    history = set(getattr(workflow, "history", []))
    for sub_id, sub in list(workflow.subprocesses.items()):
        caller = workflow.tasks.get(sub.parent_task_id) or _find_task(workflow, sub.parent_task_id)
        if caller is None or not caller.has_state(TaskState.FINISHED_MASK):
            continue
        history.update(t.task_spec.bpmn_id for t in sub.tasks.values()
                       if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id)
        dct["subprocesses"].pop(str(sub_id), None)
    dct["history"] = sorted(history)


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
    """Serialize an instance without its spec, as JSON text."""
    text: str = _serializer().serialize_json(workflow)
    return text


def dump(workflow: BpmnWorkflow) -> bytes:
    """The stored form: spec-less JSON, zlib-compressed (task ids and keys repeat a lot)."""
    return zlib.compress(dump_json(workflow).encode(), COMPRESSION_LEVEL)


def load(state: bytes | memoryview | str) -> BpmnWorkflow:
    """Restore an instance; the caller re-attaches the script engine."""
    try:
        text = state if isinstance(state, str) else zlib.decompress(bytes(state)).decode()
        workflow: BpmnWorkflow = _serializer().deserialize_json(text)
    except (ValueError, KeyError, TypeError, zlib.error) as exc:
        raise EngineError("corrupt_state", f"Stored case state cannot be read: {exc}") from exc
    return workflow


def spec_json(spec: Any, subprocess_specs: Mapping[str, Any]) -> str:
    """The spec pair as JSON, to store once per definition version."""
    registry = full_serializer().registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
    })


def spec_from_json(text: str) -> SpecPair:
    registry = full_serializer().registry
    dct = json.loads(text)
    subs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return registry.restore(dct["spec"]), subs
