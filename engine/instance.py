"""A small facade over a running process: start, list human tasks, complete, fire timers, message.

Everything returned is a plain frozen dataclass. SpiffWorkflow's ``Task.run()`` has no state or
permission check, so this module makes them: a task must be READY, a user task, in a lane the
caller may work, and its data must satisfy the task's JSON Schema form. When a step fails the
instance is poisoned; the caller reloads from the last saved state, so a failed step changes
nothing.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import event_subprocesses, progress, sandbox, serializer
from engine.definitions import FORM_SUFFIX, Definition
from engine.errors import EngineError
from engine.event_subprocesses import waiting_definitions
from engine.form_validation import check_user_data as _check_user_data
from engine.form_validation import validate_form_data
from engine.info import CurrentStep, ErrorInfo, HumanTaskInfo, InstanceStatus, TimerInfo
from engine.instructions import render_instructions

MAX_TASKS = 2_000
# Tasks a person does: user tasks (with a form) and manual tasks (marked done, no form).
HUMAN_TASKS = (UserTask, ManualTask)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def plain_copy(value: Any) -> Any:
    """A deep copy, quick for what case data is made of (dicts, lists and scalars from JSON);
    anything else goes to ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [plain_copy(v) for v in value]
    if kind in _PLAIN:
        return value
    return copy.deepcopy(value)


class ProcessInstance:
    """One case's workflow. Not thread-safe: lock the case row around load → step → save."""

    def __init__(self, definition: Definition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self._wf = workflow
        self._wf.script_engine = sandbox.script_engine()  # never serialized: re-attach always
        self._poisoned = False
        self._interrupting = event_subprocesses.interrupting_ids(definition.content_hash,
                                                                 definition.bpmn_files)

    # -- lifecycle ------------------------------------------------------------------------
    @classmethod
    def start(cls, definition: Definition, data: Mapping[str, Any]) -> ProcessInstance:
        """Create an instance seeded with ``data`` and run it to its first wait state."""
        _check_user_data(data)
        wf = BpmnWorkflow(definition.spec, definition.subprocess_specs)
        wf.spec_key = definition.content_hash
        wf.task_tree.data.update(plain_copy(dict(data)))
        instance = cls(definition, wf)
        instance._step(lambda: None)
        return instance

    @classmethod
    def load(cls, definition: Definition, state: bytes | memoryview | str) -> ProcessInstance:
        wf = serializer.load(state)
        if getattr(wf, "spec_key", None) != definition.content_hash:
            raise EngineError("wrong_definition", "The stored state belongs to another version.")
        return cls(definition, wf)

    def dump(self) -> bytes:
        """The state to store: compressed, spec-less, finished subprocesses pruned."""
        self._usable()
        return serializer.dump(self._wf)

    def dump_json(self) -> str:
        """The same state as readable JSON (for inspection and tests)."""
        self._usable()
        return serializer.dump_json(self._wf)

    # -- reads ----------------------------------------------------------------------------
    def status(self) -> InstanceStatus:
        wf = self._wf
        all_tasks = self._all_tasks()
        tasks = self.human_tasks()
        errors = tuple(ErrorInfo(str(t.id), t.task_spec.bpmn_id or t.task_spec.name,
                                 "the step failed") for t in all_tasks
                       if t.state == TaskState.ERROR)
        completed = wf.is_completed()  # a tree walk while running: asked once here
        if errors:
            status = "error"
        elif completed:
            status = "completed"
        else:
            status = "running"
        timers = self.timers()
        return InstanceStatus(
            status=status,
            stage=self._stage(tasks, completed),
            outcome_codes=self._outcome_codes(all_tasks, completed),
            human_tasks=tasks,
            timers=timers,
            next_due_at=min((t.due_at for t in timers), default=None),
            waiting_messages=self._waiting_messages(completed),
            errors=errors,
            task_count=len(all_tasks),
        )

    def human_tasks(self, lanes: Collection[str] | None = None) -> tuple[HumanTaskInfo, ...]:
        """READY user tasks, optionally only those in ``lanes`` ("" for tasks outside any lane)."""
        return tuple(self._task_info(t) for t in self._ready_user_tasks()
                     if lanes is None or (t.task_spec.lane or "") in lanes)

    def ready_task_ids(self) -> tuple[str, ...]:
        """The ids of ``human_tasks()``, without building their details."""
        return tuple(str(t.id) for t in self._ready_user_tasks())

    def _ready_user_tasks(self) -> list[Any]:
        # A plain scan in creation order: cheaper than SpiffWorkflow's tree iterator.
        return [t for t in self._all_tasks()
                if t.state == TaskState.READY and isinstance(t.task_spec, HUMAN_TASKS)]

    def timers(self) -> tuple[TimerInfo, ...]:
        found = []
        for task, definition, element in waiting_definitions(self._wf):
            if not isinstance(definition, TimerEventDefinition):
                continue
            value = definition.details(task).value
            if not isinstance(value, str):
                continue
            due = TimerEventDefinition.parse_time_or_duration(value)
            found.append(TimerInfo(
                task_id=str(task.id), bpmn_id=element.bpmn_id or "",
                name=element.bpmn_name or element.bpmn_id or "", due_at=due,
                kind=type(definition).__name__.replace("EventDefinition", "").lower(),
                stage=self._stage_of(task),
            ))
        return tuple(sorted(found, key=lambda t: t.due_at))

    def waiting_messages(self) -> tuple[str, ...]:
        """Names of the messages the case would accept now (boundaries and event subprocesses)."""
        return self._waiting_messages(self._wf.is_completed())

    def _waiting_messages(self, completed: bool) -> tuple[str, ...]:
        names = {d.name for _, d, _ in waiting_definitions(self._wf)
                 if isinstance(d, MessageEventDefinition)}
        workflows = [] if completed else [self._wf]
        workflows += [sp for sp in self._wf.subprocesses.values() if not sp.completed]
        interrupted = event_subprocesses.interrupted(self._wf, self._interrupting)
        for wf in workflows:
            if (wf is not self._wf and wf.is_completed()) or id(wf) in interrupted:
                continue
            for spec_name in getattr(wf.spec.start, "trigger_specs", ()):
                sub_spec = self._wf.subprocess_specs.get(
                    wf.spec.task_specs[spec_name].spec) if spec_name in wf.spec.task_specs else None
                for start in getattr(sub_spec, "bpmn_start_events", ()):
                    if isinstance(start.event_definition, MessageEventDefinition):
                        names.add(start.event_definition.name)
        return tuple(sorted(names))

    def outcome_codes(self) -> tuple[str, ...]:
        return self._outcome_codes(self._all_tasks(), self._wf.is_completed())

    def _outcome_codes(self, all_tasks: list[Any], completed: bool) -> tuple[str, ...]:
        codes: list[str] = []
        source = [self._wf.data] if completed else []
        source += [t.data for t in sorted(all_tasks, key=lambda t: t.last_state_change)
                   if t.state & (TaskState.COMPLETED | TaskState.READY)]
        for data in source:
            for code in data.get("outcome_codes") or ():
                if code not in codes:
                    codes.append(code)
        return tuple(codes)

    def data(self, keys: Collection[str] | None = None) -> dict[str, Any]:
        """A copy of the case's current data (only ``keys``, if given): what the newest ready
        task (else step) sees."""
        if self._wf.is_completed():
            source = self._wf.data
        else:
            tasks = self._all_tasks()
            ready = [t for t in tasks if t.state == TaskState.READY and t.task_spec.manual]
            done = [t for t in tasks if t.state == TaskState.COMPLETED]
            source = max(ready or done, key=lambda t: t.last_state_change,
                         default=self._wf.task_tree).data
        if keys is not None:
            source = {k: source[k] for k in keys if k in source}
        return plain_copy(dict(source))

    def completed_bpmn_ids(self) -> tuple[str, ...]:
        """BPMN ids of every element that has run, for highlighting the diagram."""
        done = {t.task_spec.bpmn_id for t in self._all_tasks()
                if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id}
        return tuple(sorted(done | set(getattr(self._wf, "history", ()))))

    def active_bpmn_ids(self) -> tuple[str, ...]:
        """BPMN ids of what is happening now: ready tasks, waiting events, running stages."""
        active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        return tuple(sorted({t.task_spec.bpmn_id for t in self._all_tasks()
                             if t.state & active and t.task_spec.bpmn_id}))

    def current_steps(self) -> tuple[CurrentStep, ...]:
        """The steps the case is at now, with the processes holding them (see progress)."""
        return progress.current_steps(self._wf, self._all_tasks())

    # -- steps ----------------------------------------------------------------------------
    def complete_task(self, task_id: str, data: Mapping[str, Any], *,
                      lanes: Collection[str]) -> InstanceStatus:
        """Complete a READY user task in one of ``lanes`` with form ``data`` (a manual task:
        mark it done, with no data)."""
        self._usable()
        task = self._find_task(task_id)
        if not isinstance(task.task_spec, HUMAN_TASKS):
            raise EngineError("not_found", "That is not a task for a person.")
        if task.state != TaskState.READY:
            raise EngineError("not_ready", f"The task is {TaskState.get_name(task.state)}, "
                                           "not ready: it may already have been completed.")
        if (task.task_spec.lane or "") not in lanes:
            raise EngineError("wrong_lane", f"This task belongs to the {task.task_spec.lane} "
                                            "lane, which you may not work.")
        props = task.task_spec.extensions.get("properties", {})
        form_file = props.get("formJsonSchemaFilename")
        if not isinstance(task.task_spec, UserTask) and data:
            raise EngineError("invalid_data", "This task has no form: mark it as done.")
        validate_form_data(self.definition.form_for(form_file), data,
                           self.definition.ui_for(form_file, props.get("formUiSchemaFilename")))

        owned = set((self.definition.form_for(form_file) or {}).get("properties", {}))

        def run() -> None:
            # A form owns its top-level fields: a resubmission (e.g. a decision reconsidered)
            # replaces them, and fields it leaves out are unset rather than kept from before.
            for key in owned - set(data):
                task.data.pop(key, None)
            task.data.update(plain_copy(dict(data)))
            task.run()

        return self._step(run)

    def fire_due_timers(self, now: datetime | None = None) -> tuple[TimerInfo, ...]:
        """Fire every timer due at ``now`` (default: the clock); return the timers that fired."""
        self._usable()
        due = [t for t in self.timers() if now is None or t.due_at <= now]
        before = {t.task_id for t in self.timers()}
        self._step(self._wf.refresh_timers)
        after = {t.task_id for t in self.timers()}
        return tuple(t for t in due if t.task_id in before - after)

    def set_timer_due(self, bpmn_id: str, due_at: datetime) -> tuple[TimerInfo, ...]:
        """Move a waiting timer (e.g. a paused or extended clock); returns the timers moved.

        The due time is stored on the timer task as SpiffWorkflow computed it; clocks with
        calendar-day limits, pauses and extensions set it from the clock instead.
        """
        self._usable()
        if due_at.tzinfo is None:
            raise EngineError("invalid_data", "Timer due times must be timezone-aware.")
        moved = []
        for task, definition, element in waiting_definitions(self._wf):
            if element.bpmn_id == bpmn_id and isinstance(
                    definition, TimerEventDefinition) and isinstance(
                    task.internal_data.get("event_value"), str):
                task.internal_data["event_value"] = due_at.astimezone(UTC).isoformat()
                moved.append(str(task.id))
        return tuple(t for t in self.timers() if t.task_id in moved)

    def send_message(self, name: str, payload: Mapping[str, Any] | None = None) -> InstanceStatus:
        """Deliver a message (by its BPMN name) to whatever waits for it."""
        self._usable()
        _check_user_data(payload or {})
        if name not in self.waiting_messages():
            raise EngineError("not_waiting", f"The case is not waiting for '{name}' now.")
        event = BpmnEvent(MessageEventDefinition(name), payload=plain_copy(dict(payload or {})))
        return self._step(lambda: self._wf.send_event(event))

    # -- internals ------------------------------------------------------------------------
    def _usable(self) -> None:
        if self._poisoned:
            raise EngineError("poisoned", "A step failed on this instance: reload it from state.")

    def _step(self, action: Any) -> InstanceStatus:
        try:
            action()
            self._wf.do_engine_steps()
            if event_subprocesses.interrupt(self._wf, self._interrupting):
                self._wf.do_engine_steps()
            self._wf.get_events()  # drain throws nothing caught; they must not pile up
        except SpiffWorkflowException as exc:
            self._poisoned = True
            task = getattr(exc, "task", None)
            where = task.task_spec.bpmn_id if task is not None else None
            raise EngineError("script_error", f"The process failed at {where or 'a step'}: "
                                              f"{exc}", details={"bpmn_id": where,
                                                                 "stopped": _stopped(exc)}) from exc
        except sandbox.SandboxViolation as exc:
            self._poisoned = True
            raise EngineError("script_error", f"Diagram code was stopped: {exc}",
                              details={"stopped": _stopped(exc)}) from exc
        self._check_stalled()
        return self.status()

    def _check_stalled(self) -> None:
        """Detect the silent stall of deep task trees (READY engine tasks nobody will run).

        A timer that falls due during the last ``refresh_timers`` of ``do_engine_steps`` is also
        left READY, legitimately: a further round of engine steps runs it. A stalled task stays.
        """
        for _ in range(3):
            stuck = [t for t in self._all_tasks()
                     if t.state == TaskState.READY and not t.task_spec.manual]
            if not stuck:
                break
            self._wf.do_engine_steps()
        if stuck or len(self._all_tasks()) > MAX_TASKS:
            self._poisoned = True
            ids = ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in stuck}))
            raise EngineError("stalled", f"The process stopped advancing "
                                         f"({ids or 'too many steps'}); the task tree is too "
                                         "deep. Report this to support.")

    def _all_tasks(self) -> list[Any]:
        tasks = list(self._wf.tasks.values())
        for sub in self._wf.subprocesses.values():
            tasks.extend(sub.tasks.values())
        return tasks

    def _find_task(self, task_id: str) -> Any:
        try:
            return self._wf.get_task_from_id(uuid.UUID(str(task_id)))
        except (ValueError, TaskNotFoundException):
            raise EngineError("not_found", "No such task in this case.") from None

    def _stage_of(self, task: Any) -> str | None:
        """Name of the top-level activity (stage) a task runs under."""
        wf = task.workflow
        stage_task = None
        while getattr(wf, "parent_task_id", None) is not None:
            stage_task = self._wf.get_task_from_id(wf.parent_task_id)
            wf = stage_task.workflow
        if stage_task is None:
            return None
        return str(stage_task.task_spec.bpmn_name or stage_task.task_spec.bpmn_id)

    def _stage(self, tasks: tuple[HumanTaskInfo, ...], completed: bool) -> str | None:
        if completed:
            return "Closed"
        for info in tasks:
            if info.stage:
                return info.stage
        active = [sp for sp in self._wf.subprocesses.values() if not sp.completed]
        for sp in sorted(active, key=lambda s: s.depth):
            return self._stage_of(next(iter(sp.tasks.values())))
        return None

    def _task_info(self, task: Any) -> HumanTaskInfo:
        spec = task.task_spec
        props = spec.extensions.get("properties", {})
        form_file = props.get("formJsonSchemaFilename") or None
        return HumanTaskInfo(
            task_id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane, process_id=task.workflow.spec.name,
            form_key=form_file.removesuffix(FORM_SUFFIX) if form_file else None,
            form_file=form_file, ui_file=props.get("formUiSchemaFilename") or None,
            instructions=render_instructions(spec.extensions.get("instructionsForEndUser"),
                                             task.data),
            stage=self._stage_of(task),
        )


def _stopped(exc: BaseException) -> str | None:
    """The sandbox's own words when it stopped diagram code for time or memory (safe to show:
    they carry no data), found in the exception's cause chain."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, sandbox.SandboxStopped):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return None
