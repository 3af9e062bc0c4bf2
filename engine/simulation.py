"""Drive an instance along a path by answering each ready task from prepared form data.

Used by scenario tests, benchmarks and demo data: the answers are keyed by BPMN id, so a path
through a process is just a mapping of task ids to form data (plus what to do between steps).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineError
from engine.instance import ProcessInstance

Answer = Mapping[str, Any] | Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Step:
    """One completed task on the path, and what the case offered before it."""

    bpmn_id: str
    offered: tuple[str, ...]


class PathBlocked(EngineError):
    """The path reached a task it has no answer for."""


def drive(instance: ProcessInstance, answers: Mapping[str, Answer], *,
          lanes: Collection[str] | None = None, stop_at: Collection[str] = (),
          between: Callable[[ProcessInstance], ProcessInstance] | None = None,
          max_steps: int = 100) -> tuple[ProcessInstance, list[Step]]:
    """Complete ready tasks with ``answers`` until none is answerable or one in ``stop_at`` is
    offered.

    ``between`` runs after every step and may replace the instance (e.g. save and reload it).
    Returns the (possibly replaced) instance and the steps taken.
    """
    steps: list[Step] = []
    for _ in range(max_steps):
        ready = instance.human_tasks()
        answerable = [t for t in ready if t.bpmn_id in answers]
        if not answerable or any(t.bpmn_id in stop_at for t in ready):
            return instance, steps
        task = answerable[0]
        answer = answers[task.bpmn_id]
        data = answer(instance.data()) if callable(answer) else answer
        all_lanes = {t.lane for t in ready if t.lane} if lanes is None else lanes
        instance.complete_task(task.task_id, data, lanes=all_lanes)
        steps.append(Step(task.bpmn_id, tuple(sorted(t.bpmn_id for t in ready))))
        if between is not None:
            instance = between(instance)
    raise PathBlocked("too_many_steps", f"the path did not settle within {max_steps} steps")


def save_and_reload(instance: ProcessInstance) -> ProcessInstance:
    """A ``between`` hook that round-trips the instance through its stored form."""
    return ProcessInstance.load(instance.definition, instance.dump())
