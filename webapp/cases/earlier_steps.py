"""What earlier steps recorded, as a task's page shows it: the answers its scheme declares it
needs (``shows`` in scheme.json), and, for a task that has come back, why it is back (the
answers recorded since it was last completed) and what it said last time."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.cases.labelled import flat_rows, labelled_rows, task_form_file
from webapp.cases.models import CaseEvent, EventKind, HumanTask, TaskState
from webapp.cases.parties import hidden_fields
from webapp.processes.registry import definition_for, scheme_for


@dataclass(frozen=True)
class Recorded:
    """One earlier step's answers: the step's name, when, and (question, answer) pairs."""

    title: str
    at: datetime
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Returned:
    """A task offered again: when it was last completed, what came after, and its answers."""

    last_at: datetime
    since: list[Recorded] = field(default_factory=list)
    previous: dict[str, Any] = field(default_factory=dict)


def _completed(task: HumanTask) -> list[tuple[Any, ...]]:
    """The case's completed steps with answers, newest first (one query)."""
    return list(CaseEvent.objects.filter(case_id=task.case_id, kind=EventKind.COMPLETED,
                                         data__isnull=False)
                .order_by("-at", "-pk")
                .values_list("bpmn_id", "task_name", "at", "data"))


def _rows(schema: Mapping[str, Any] | None, data: Mapping[str, Any],
          hidden: set[str]) -> list[tuple[str, str]]:
    return flat_rows(labelled_rows(schema, {k: v for k, v in data.items() if k not in hidden}))


def earlier_answers(task: HumanTask, roles: Collection[str],
                    events: list[tuple[Any, ...]] | None = None) -> list[Recorded]:
    """The latest answers of each form the scheme says ``task`` shows, in the declared order
    (a ``form.field`` reference shows that field only); forms not yet recorded are left out."""
    scheme = scheme_for(task.case.version_id)
    wanted = scheme.shown_for(task.bpmn_id)
    if not wanted:
        return []
    definition = definition_for(task.case.version)
    hidden = hidden_fields(scheme, roles)
    latest: dict[str, tuple[str, datetime, Mapping[str, Any]]] = {}
    for bpmn_id, name, at, data in events if events is not None else _completed(task):
        form_file = task_form_file(definition, bpmn_id)
        if form_file and form_file not in latest and isinstance(data, Mapping):
            latest[form_file] = (name, at, data)
    shown: dict[str, Recorded] = {}
    for form_file, name in wanted:
        if form_file not in latest:
            continue
        title, at, data = latest[form_file]
        data = {name: data[name]} if name is not None and name in data else (
            {} if name is not None else data)
        rows = _rows(definition.form_for(form_file), data, hidden)
        if form_file in shown:
            shown[form_file].rows.extend(r for r in rows if r not in shown[form_file].rows)
        elif rows:
            shown[form_file] = Recorded(title, at, rows)
    return list(shown.values())


def returned(task: HumanTask, roles: Collection[str],
             events: list[tuple[Any, ...]] | None = None) -> Returned | None:
    """Why a ready task is offered again: the steps completed since it was last completed,
    with their answers (None when the task has not been completed before on this case)."""
    if task.state != TaskState.READY:
        return None
    events = events if events is not None else _completed(task)
    since: list[tuple[Any, ...]] = []
    for event in events:
        if event[0] == task.bpmn_id:
            break
        since.append(event)
    else:
        return None
    definition = definition_for(task.case.version)
    hidden = hidden_fields(scheme_for(task.case.version_id), roles)
    last = events[len(since)]
    recorded = [Recorded(name, at, _rows(definition.form_for(task_form_file(definition, bpmn)),
                                         data, hidden))
                for bpmn, name, at, data in reversed(since) if isinstance(data, Mapping)]
    previous = last[3] if isinstance(last[3], dict) else {}
    return Returned(last_at=last[2], since=[r for r in recorded if r.rows], previous=previous)


def task_context(task: HumanTask, roles: Collection[str]) -> dict[str, Any]:
    """The task page's view of earlier steps: ``shown`` (declared) and ``back`` (returned)."""
    if task.state != TaskState.READY:
        return {"shown": [], "back": None}
    events = _completed(task)
    return {"shown": earlier_answers(task, roles, events), "back": returned(task, roles, events)}
