"""Walking through a draft to write a scenario: the answers given so far are replayed from the
start (no state is kept between pages), and where the case now stands is returned; at the end
the walk becomes a scenario file expecting what happened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.definitions import Definition
from engine.info import HumanTaskInfo, TimerInfo
from engine.scenario_file import Event, Scenario
from engine.scenarios import StepTaken, drive_scenario

WalkStep = tuple[str, Mapping[str, Any]]  # task id, form data


@dataclass(frozen=True)
class Walk:
    """Where a walked case stands after the answers and events so far."""

    path: tuple[StepTaken, ...]
    ready: tuple[HumanTaskInfo, ...]
    outcome_codes: tuple[str, ...]
    ended: bool
    messages: tuple[str, ...]
    timers: tuple[TimerInfo, ...]
    stopped: str | None  # why the walk could not be replayed, in plain words
    field_errors: Mapping[str, Sequence[str]]  # of the last answer, when it was refused


def _scenario(steps: Sequence[WalkStep], events: Sequence[Mapping[str, Any]],
              parameters: Mapping[str, Any]) -> Scenario:
    answers: dict[str, list[Mapping[str, Any]]] = {}
    for task, data in steps:
        answers.setdefault(task, []).append(data)
    return Scenario(
        file="", title="", answers={t: tuple(a) for t, a in answers.items()},
        repeat=frozenset(), parameters=dict(parameters),
        events=tuple(Event(e["after"], e.get("message"), e.get("timer"), e.get("payload", {}))
                     for e in events),
        path=None, in_order=True, outcomes=(), waiting_at=None)


def walk(definition: Definition, steps: Sequence[WalkStep],
         events: Sequence[Mapping[str, Any]] = (),
         parameters: Mapping[str, Any] | None = None) -> Walk:
    """Replay ``steps`` (and the ``events`` after them) on ``definition``."""
    driven = drive_scenario(definition, _scenario(steps, events, parameters or {}))
    instance = driven.instance
    field_errors = driven.error.field_errors if driven.error is not None else {}
    if instance is None or driven.stopped:
        return Walk(tuple(driven.steps), (), (), False, (), (), driven.stopped, field_errors)
    status = instance.status()
    return Walk(tuple(driven.steps), status.human_tasks, status.outcome_codes,
                status.status == "completed", status.waiting_messages, status.timers, None, {})


def scenario_document(title: str, steps: Sequence[WalkStep],
                      events: Sequence[Mapping[str, Any]], done: Walk,
                      parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The scenario file of a walk: its answers, and what happened as what is expected."""
    answers: dict[str, list[Mapping[str, Any]]] = {}
    for task, data in steps:
        answers.setdefault(task, []).append(data)
    expect: dict[str, Any] = {"path": [s.bpmn_id for s in done.path],
                              "outcomes": list(done.outcome_codes)}
    if not done.ended:
        expect["waiting_at"] = [t.bpmn_id for t in done.ready]
    doc: dict[str, Any] = {"format": 1, "title": title}
    if parameters:
        doc["parameters"] = dict(parameters)
    doc["answers"] = {t: a[0] if len(a) == 1 else a for t, a in answers.items()}
    if events:
        doc["events"] = [dict(e) for e in events]
    doc["expect"] = expect
    return doc
