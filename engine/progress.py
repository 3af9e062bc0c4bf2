"""Where a running case is: the steps it waits at now and the processes holding them, for the
case page's diagram (no SpiffWorkflow object leaves this module)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    IntermediateCatchEvent as _CatchEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    ReceiveTask as _ReceiveTask,
)
from SpiffWorkflow.util.task import TaskState

from engine.info import CurrentStep


def _waits_here(task: Any) -> bool:
    """A person's ready task, or an event the case waits for on its path. Boundary events and
    event subprocess starts only watch an activity, so they are not where the case is."""
    if task.state == TaskState.READY:
        return bool(task.task_spec.manual)
    return task.state == TaskState.WAITING and isinstance(task.task_spec,
                                                          (_CatchEvent, _ReceiveTask))


def current_steps(workflow: Any, tasks: list[Any]) -> tuple[CurrentStep, ...]:
    """The steps the case is at now, each with the processes holding it (innermost first)
    and the ids of the activities that called them."""
    found = []
    for task in tasks:
        if not task.task_spec.bpmn_id or not _waits_here(task):
            continue
        wf, processes, callers = task.workflow, [task.workflow.spec.name], []
        while getattr(wf, "parent_task_id", None) is not None:
            caller = workflow.get_task_from_id(wf.parent_task_id)
            callers.append(caller.task_spec.bpmn_id)
            wf = caller.workflow
            processes.append(wf.spec.name)
        found.append(CurrentStep(task.task_spec.bpmn_id, tuple(processes),
                                 tuple(c for c in callers if c)))
    return tuple(found)
