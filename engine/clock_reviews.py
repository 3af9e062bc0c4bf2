"""Which user tasks review a clock's breach: those its declared breach timer leads to, through
gateways, events and script tasks, before any other user task. The task page shows such a task
with the clock it reviews."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.definitions import Definition

# Steps between a breach timer and its review that do no work of their own (not a boundary
# join: that continues the timed activity's flow, not the timer's).
_PASS_THROUGH = {"ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "ScriptTask",
                 "IntermediateThrowEvent", "NoneTask", "ManualTask"}


def _user_tasks_after(start: Any) -> set[str]:
    found: set[str] = set()
    seen: set[int] = set()
    todo = list(start.outputs)
    while todo:
        spec = todo.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        kind = type(spec).__name__
        if kind == "UserTask":
            found.add(spec.bpmn_id)
        elif kind in _PASS_THROUGH:
            todo.extend(getattr(spec, "outputs", ()))
    return found


@lru_cache(maxsize=256)
def breach_reviews(definition: Definition) -> dict[str, str]:
    """User task id -> the name of the declared clock whose breach it reviews."""
    timers = {c.breach_timer: c.name for c in definition.scheme.clocks if c.breach_timer}
    reviews: dict[str, str] = {}
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            clock = timers.get(getattr(task_spec, "bpmn_id", None) or "")
            if clock is not None:
                for task in _user_tasks_after(task_spec):
                    reviews.setdefault(task, clock)
    return reviews
