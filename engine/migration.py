"""Move running cases to a new definition version, when that is safe.

The rule is SpiffArena's: a case may move unless something that changed (or was removed) has
already run or is running in it, because SpiffWorkflow cannot re-run history against the new
version. Finished subprocesses are pruned from stored state, so the BPMN ids they ran (kept in
``history``) count as completed too. What changed is worked out once per pair of versions;
judging a case is then a scan of its task states, cheap enough for a dry run over every case.
"""

from __future__ import annotations

import copy
import json
import threading
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine import serializer, state_codec
from engine.definitions import Definition
from engine.errors import EngineError
from engine.instance import ProcessInstance

# Reset and re-predict open work only. STARTED (SpiffArena resets it too) would drop and
# recreate a running call activity's subprocess, and with it the ids of its open tasks.
RESET_MASK = TaskState.READY | TaskState.WAITING
_RAN = TaskState.COMPLETED | TaskState.STARTED
_OPEN = TaskState.READY | TaskState.WAITING
_INTERNAL_ENDS = ("BoundaryEventSplit", "BoundaryEventJoin")
FINISHED = "the case has already finished"


@dataclass(frozen=True)
class MigrationVerdict:
    """Whether a case can move to a version, and why not.

    ``changed_ids`` are the BPMN ids changed or removed between the two versions;
    ``blocking_ids`` those of them the case has run or is running. ``notes`` are things that
    do not stop the move but that someone should know (a changed timer restarts).
    """

    can_move: bool
    reasons: tuple[str, ...]
    changed_ids: tuple[str, ...]
    blocking_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _SpecChange:
    bpmn_id: str | None
    label: str
    fields: tuple[str, ...]
    removed: bool
    call: bool
    loop: bool
    timer: bool


@dataclass(frozen=True)
class _Plan:
    refusal: str | None
    processes: Mapping[str, Mapping[str, _SpecChange] | None]  # None: the target lacks it
    by_bpmn_id: Mapping[str, _SpecChange]
    labels: Mapping[str, str]  # spec name -> label, for naming a running stage
    changed_ids: tuple[str, ...]


@dataclass(frozen=True)
class _Snapshot:
    """What a case has done, read from a workflow or straight from its stored JSON."""

    completed: bool
    tasks: list[tuple[str, str, int]]  # (process name, spec name, state)
    live: list[tuple[str, str]]  # (process name, caller spec name) per running subprocess
    history: Iterable[str]


_plans: dict[tuple[str, str], _Plan] = {}
_plans_lock = threading.Lock()
_PLAN_CACHE_SIZE = 32


# -- public API ------------------------------------------------------------------------------
def assess(instance: ProcessInstance, target: Definition) -> MigrationVerdict:
    """Whether ``instance`` can move to ``target``, with reasons a case worker can read."""
    plan = _plan(instance.definition, target)
    if plan.refusal is not None:
        return MigrationVerdict(False, (plan.refusal,), plan.changed_ids)
    return _judge(plan, _snapshot_workflow(instance._wf))  # the facade owns the workflow


def assess_state(state: bytes | memoryview | str, source: Definition,
                 target: Definition) -> MigrationVerdict:
    """``assess`` for stored state, for bulk dry runs: reads the JSON without rebuilding the
    workflow (the verdict is the same; a test holds the two paths together)."""
    plan = _plan(source, target)
    if plan.refusal is not None:
        return MigrationVerdict(False, (plan.refusal,), plan.changed_ids)
    try:
        text = state if isinstance(state, str) else zlib.decompress(bytes(state)).decode()
        dct = json.loads(text)
    except (ValueError, zlib.error) as exc:
        raise EngineError("corrupt_state", f"Stored case state cannot be read: {exc}") from exc
    if dct.get("spec_key") != source.content_hash:
        raise EngineError("wrong_definition", "The stored state belongs to another version.")
    try:
        snapshot = _snapshot_dict(dct, source.spec.name)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise EngineError("corrupt_state", f"Stored case state cannot be read: {exc}") from exc
    return _judge(plan, snapshot)


def migrate(instance: ProcessInstance, target: Definition) -> ProcessInstance:
    """The case moved to ``target``: open tasks keep their ids, waiting timers their due times.

    Raises EngineError('cannot_migrate') with the reasons when ``assess`` refuses. The given
    instance is left as it was; the caller stores the returned one.
    """
    verdict = assess(instance, target)
    if not verdict.can_move:
        raise EngineError("cannot_migrate", "The case cannot move to this version: "
                          + "; ".join(verdict.reasons), details={"reasons": verdict.reasons})
    # Work on a copy restored from the stored form: finished subprocesses are pruned there,
    # and a failure half-way leaves the caller's instance untouched.
    wf = serializer.load(instance.dump())
    timers = _timer_values(wf)
    registry = serializer.full_serializer().registry
    top_diff, sub_diffs = diff_workflow(registry, wf, target.spec, target.subprocess_specs)
    migrate_workflow(top_diff, wf, target.spec, reset_mask=RESET_MASK)
    _repoint_leftovers(wf, target.spec)
    for sub_id, sub_diff in sub_diffs.items():
        sub = wf.subprocesses[sub_id]
        new_spec = target.subprocess_specs.get(sub.spec.name)
        if sub_diff is None or new_spec is None:  # assess refuses this; never half-migrate
            raise EngineError("cannot_migrate", f"process '{sub.spec.name}' is missing")
        migrate_workflow(sub_diff, sub, new_spec, reset_mask=RESET_MASK)
        _repoint_leftovers(sub, new_spec)
    wf.subprocess_specs = dict(target.subprocess_specs)
    wf.spec_key = target.content_hash
    _restore_timers(wf, timers, _changed_timer_names(_plan(instance.definition, target)))
    _rebuild_event_manager(wf)
    moved = ProcessInstance(target, wf)
    if any(t.state == TaskState.READY and not t.task_spec.manual for t in _tasks(wf)):
        moved._step(lambda: None)  # a reset engine task runs, as after any step
    return moved


# -- what changed between two versions (once per pair) ----------------------------------------
def _plan(source: Definition, target: Definition) -> _Plan:
    key = (source.content_hash, target.content_hash)
    with _plans_lock:
        plan = _plans.get(key)
    if plan is None:
        plan = _build_plan(source, target)
        with _plans_lock:
            if len(_plans) >= _PLAN_CACHE_SIZE:
                _plans.pop(next(iter(_plans)))
            _plans[key] = plan
    return plan


def _build_plan(source: Definition, target: Definition) -> _Plan:
    labels = {name: _label(spec, proc)[1] for proc in _specs(source).values()
              for name, spec in proc.task_specs.items()}
    if source.content_hash == target.content_hash:
        return _Plan("the case is already on this version", {}, {}, labels, ())
    if source.spec.name != target.spec.name or source.process_id != target.process_id:
        return _Plan(f"the new version's top-level process is '{target.spec.name}', not "
                     f"'{source.spec.name}'", {}, {}, labels, ())
    registry = serializer.full_serializer().registry
    new_specs = _specs(target)
    processes: dict[str, Mapping[str, _SpecChange] | None] = {}
    for name, old in _specs(source).items():
        new = new_specs.get(name)
        processes[name] = None if new is None else _spec_changes(registry, old, new)
    by_bpmn_id: dict[str, _SpecChange] = {}
    for changes in processes.values():
        for name, change in (changes or {}).items():
            # An element's own spec names it better than its boundary split or MI child.
            if change.bpmn_id and (change.bpmn_id not in by_bpmn_id or name == change.bpmn_id):
                by_bpmn_id[change.bpmn_id] = change
    return _Plan(None, processes, by_bpmn_id, labels, tuple(sorted(by_bpmn_id)))


def _specs(definition: Definition) -> dict[str, Any]:
    return {definition.spec.name: definition.spec, **definition.subprocess_specs}


def _spec_changes(registry: Any, old: Any, new: Any) -> dict[str, _SpecChange]:
    diff = SpecDiff(registry, old, new)
    loops = {s.name for s in old.task_specs.values() if isinstance(s, LoopTask)}
    loops |= {s.task_spec for s in old.task_specs.values() if isinstance(s, LoopTask)}
    changes: list[tuple[Any, tuple[str, ...], bool]] = [
        *((spec, tuple(fields), False) for spec, fields in diff.changed.items()),
        *((spec, (), True) for spec in diff.removed)]
    out = {}
    for spec, fields, removed in changes:
        bpmn_id, label = _label(spec, old)
        event = getattr(spec, "event_definition", None)
        out[spec.name] = _SpecChange(
            bpmn_id=bpmn_id, label=label, fields=fields, removed=removed,
            call=isinstance(spec, CallActivity), loop=spec.name in loops,
            timer=isinstance(event, TimerEventDefinition) and "event_definition" in fields)
    return out


def _label(spec: Any, process: Any) -> tuple[str | None, str]:
    """The BPMN id a spec stands for and how to name it to a person."""
    if spec.bpmn_id:
        name = spec.bpmn_name
        return spec.bpmn_id, f"'{name}' ({spec.bpmn_id})" if name else f"'{spec.bpmn_id}'"
    owner, _, suffix = spec.name.rpartition(".")
    if suffix in _INTERNAL_ENDS and owner in process.task_specs:
        owner_id, owner_label = _label(process.task_specs[owner], process)
        return owner_id, f"the boundary events of {owner_label}"
    title = f"'{process.description or process.name}'"
    if spec.name == "Start":
        return None, f"the start of {title}"
    return None, f"the end of {title}"


# -- judging one case ------------------------------------------------------------------------
def _judge(plan: _Plan, snap: _Snapshot) -> MigrationVerdict:
    reasons: dict[str, None] = {}
    blocking: dict[str, None] = {}
    notes: dict[str, None] = {}
    if snap.completed:
        reasons[FINISHED] = None
    blocked: set[str] = set()
    for process, spec_name, state in snap.tasks:
        change = (plan.processes.get(process) or {}).get(spec_name)
        if change is None:
            continue
        reason = _reason(change, state)
        if reason is not None:
            reasons[reason] = None
            blocking[change.bpmn_id or spec_name] = None
            blocked.add(spec_name)
        elif change.timer and state & TaskState.WAITING:
            notes[f"the timer {change.label} changed: it restarts when the case moves"] = None
    for process, caller in snap.live:
        if plan.processes.get(process, {}) is None and caller not in blocked:
            stage = plan.labels.get(caller, f"'{caller}'")
            reasons[f"the active stage {stage} runs process '{process}', which the new version "
                    "does not have"] = None
    for bpmn_id in snap.history:
        change = plan.by_bpmn_id.get(bpmn_id)
        if change is not None:
            reasons[_completed(change)] = None
            blocking[bpmn_id] = None
    # Sorted, so a verdict reads the same whichever way the case was read.
    ordered = sorted(reasons, key=lambda r: (r != FINISHED, r))
    return MigrationVerdict(not reasons, tuple(ordered), plan.changed_ids,
                            tuple(sorted(blocking)), tuple(sorted(notes)))


def _reason(change: _SpecChange, state: int) -> str | None:
    if state & TaskState.COMPLETED:
        return _completed(change)
    if change.loop and state & (TaskState.STARTED | _OPEN | TaskState.ERROR):
        return (f"{change.label} is a multi-instance or loop task that changed while the case "
                "is in it: that is not supported")
    if state & TaskState.STARTED:
        return _running(change)
    if change.removed and state & _OPEN:
        return f"{change.label} is open in the case but the new version removes it"
    return None


def _completed(change: _SpecChange) -> str:
    done = "was removed but has" if change.removed else "changed and has"
    return f"{change.label} {done} already been completed"


def _running(change: _SpecChange) -> str:
    what = "the active stage" if change.call else "the running activity"
    if change.removed:
        return f"{what} {change.label} was removed"
    if change.call and "spec" in change.fields:
        return f"{what} {change.label} changed its called process"
    return f"{what} {change.label} changed ({', '.join(change.fields)})"


def _snapshot_workflow(wf: BpmnWorkflow) -> _Snapshot:
    tasks = [(wf.spec.name, t.task_spec.name, t.state) for t in wf.tasks.values()]
    live = []
    history = set(getattr(wf, "history", ()))
    for sub in wf.subprocesses.values():
        caller = wf.tasks.get(sub.parent_task_id) or next(
            (s.tasks[sub.parent_task_id] for s in wf.subprocesses.values()
             if sub.parent_task_id in s.tasks), None)
        if caller is not None and caller.has_state(TaskState.FINISHED_MASK):
            # As stored state keeps it (the serializer prunes finished subprocesses).
            history.update(t.task_spec.bpmn_id for t in sub.tasks.values()
                           if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id)
            continue
        name = sub.spec.name
        tasks.extend((name, t.task_spec.name, t.state) for t in sub.tasks.values())
        live.append((name, caller.task_spec.name if caller is not None else name))
    return _Snapshot(wf.is_completed(), tasks, live, history)


def _snapshot_dict(dct: Mapping[str, Any], top: str) -> _Snapshot:
    """Stored state holds live subprocesses only: finished ones were pruned to ``history``."""
    if dct.get("format") in state_codec.READABLE_FORMATS:
        return _snapshot_rows(dct, top)
    callers = dict(dct["tasks"])
    tasks = [(top, t["task_spec"], t["state"]) for t in dct["tasks"].values()]
    subs = list(dct.get("subprocesses", {}).values())
    for sub in subs:
        callers.update(sub["tasks"])
        tasks.extend((sub["spec"], t["task_spec"], t["state"]) for t in sub["tasks"].values())
    live = [(sub["spec"], callers.get(sub["parent_task_id"], {}).get("task_spec", sub["spec"]))
            for sub in subs]
    completed = bool(dct.get("completed")) or not any(
        t["state"] & TaskState.NOT_FINISHED_MASK for t in dct["tasks"].values())
    return _Snapshot(completed, tasks, live, dct.get("history", ()))


def _snapshot_rows(dct: Mapping[str, Any], top: str) -> _Snapshot:
    """``_snapshot_dict`` for formats 2 and 3 (see ``state_codec``): task rows are
    ``[id, spec, state, ...]``, subprocesses name their caller's id."""
    processes = dct["processes"]
    spec_of_id = {row[0]: row[1] for proc in processes for row in proc["tasks"]}
    tasks = [(proc.get("spec", top), row[1], row[2]) for proc in processes
             for row in proc["tasks"]]
    live = [(proc["spec"], spec_of_id.get(proc["caller"], proc["spec"]))
            for proc in processes[1:]]
    completed = bool(processes[0].get("completed")) or not any(
        row[2] & TaskState.NOT_FINISHED_MASK for row in processes[0]["tasks"])
    return _Snapshot(completed, tasks, live, dct.get("history", ()))


# -- keeping what the case already has --------------------------------------------------------
def _tasks(wf: BpmnWorkflow) -> list[Any]:
    tasks = list(wf.tasks.values())
    for sub in wf.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def _timer_values(wf: BpmnWorkflow) -> dict[Any, tuple[Any, str, Any]]:
    """Due times of waiting timers: resetting a task clears its internal data, and a timer
    would then count its duration again from the moment of the migration."""
    saved = {}
    for task in _tasks(wf):
        event = getattr(task.task_spec, "event_definition", None)
        if (task.state == TaskState.WAITING and isinstance(event, TimerEventDefinition)
                and "event_value" in task.internal_data):
            saved[task.id] = (task.workflow, task.task_spec.bpmn_id,
                              copy.deepcopy(task.internal_data["event_value"]))
    return saved


def _changed_timer_names(plan: _Plan) -> set[str]:
    return {c.bpmn_id for changes in plan.processes.values() for c in (changes or {}).values()
            if c.timer and c.bpmn_id}


def _restore_timers(wf: BpmnWorkflow, saved: Mapping[Any, tuple[Any, str, Any]],
                    changed: set[str]) -> None:
    waiting = [t for t in _tasks(wf) if t.state == TaskState.WAITING
               and isinstance(getattr(t.task_spec, "event_definition", None),
                              TimerEventDefinition)]
    by_id = {t.id: t for t in waiting}
    for task_id, (workflow, bpmn_id, value) in saved.items():
        if bpmn_id in changed:
            continue  # the timer itself changed: let it count from now, as a new one would
        task = by_id.get(task_id)
        if task is None:  # re-created by the reset of an ancestor: match it by element
            same = [t for t in waiting if t.workflow is workflow and t.task_spec.bpmn_id == bpmn_id]
            task = same[0] if len(same) == 1 else None
        if task is not None:
            task.internal_data["event_value"] = value


def _repoint_leftovers(workflow: Any, spec: Any) -> None:
    """Tasks the diff's tree walk missed (it skips some branches) still hold old specs."""
    current = set(map(id, spec.task_specs.values()))
    for task in workflow.tasks.values():
        if id(task.task_spec) not in current and task.task_spec.name in spec.task_specs:
            task.task_spec = spec.task_specs[task.task_spec.name]


def _rebuild_event_manager(wf: BpmnWorkflow) -> None:
    """Resets drop waiting catch events without telling the event manager: list them anew."""
    wf.event_manager.tasks = {t.id: t for t in _tasks(wf) if t.state == TaskState.WAITING
                              and isinstance(t.task_spec, CatchingEvent)}
