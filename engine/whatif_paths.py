"""The what-if simulation's view of a process version: the paths through it (one per scenario,
found by running the scenario's answers through SpiffWorkflow once) and its clocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.definitions import Definition
from engine.scenario_file import read_all
from engine.scenarios import drive_scenario
from engine.whatif import ClockRule, Path, PathStep


def _groups(steps: Sequence[str], offered: Sequence[tuple[str, ...]]) -> list[int]:
    """Number the steps so that tasks offered together (parallel branches) share a group."""
    groups: list[int] = []
    group, pending = -1, set[str]()
    for bpmn_id, ready in zip(steps, offered, strict=True):
        if bpmn_id in pending:
            pending.discard(bpmn_id)  # a branch offered with the group's first task
        else:
            group, pending = group + 1, set(ready) - {bpmn_id}
        groups.append(group)
    return groups


def paths_of(definition: Definition) -> tuple[Path, ...]:
    """Each scenario that runs to its end, as a path of user tasks with their roles."""
    scheme = definition.scheme
    paths = []
    for scenario in read_all(definition.files):
        driven = drive_scenario(definition, scenario)
        if driven.instance is None or driven.stopped or not driven.steps:
            continue
        status = driven.instance.status()
        if status.status != "completed":
            continue
        ids = [s.bpmn_id for s in driven.steps]
        groups = _groups(ids, driven.offered)
        steps = tuple(PathStep(s.bpmn_id, s.name,
                               scheme.role_for_lane(definition.task_lane(s.bpmn_id)), g)
                      for s, g in zip(driven.steps, groups, strict=True))
        paths.append(Path(scenario.file, scenario.title, frozenset(status.outcome_codes), steps))
    return tuple(paths)


def _user_tasks(definition: Definition, process_id: str, seen: set[str]) -> set[str]:
    spec = definition.subprocess_specs.get(process_id)
    if spec is None or process_id in seen:
        return set()
    seen.add(process_id)
    found: set[str] = set()
    for bpmn_id, task_spec in spec.task_specs.items():
        kind = type(task_spec).__name__
        if kind == "UserTask":
            found.add(bpmn_id)
        elif kind == "CallActivity":
            found |= _user_tasks(definition, str(task_spec.spec), seen)
    return found


def _activity_tasks(definition: Definition, activity: str) -> frozenset[str]:
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        task_spec: Any = spec.task_specs.get(activity)
        if task_spec is not None and type(task_spec).__name__ == "CallActivity":
            return frozenset(_user_tasks(definition, str(task_spec.spec), set()))
    return frozenset()


def clock_rules(definition: Definition, limits: Mapping[str, float]) -> tuple[ClockRule, ...]:
    """The declared clocks with their limits (seconds, by limit parameter name); a clock whose
    limit is not given is left out."""
    rules = []
    for clock in definition.scheme.clocks:
        if clock.limit not in limits:
            continue
        within = _activity_tasks(definition, clock.activity) if clock.activity else frozenset()
        rules.append(ClockRule(clock.name, clock.label, limits[clock.limit], within,
                               frozenset(clock.met_by)))
    return tuple(rules)
