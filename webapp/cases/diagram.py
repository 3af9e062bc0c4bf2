"""What the case page's diagram shows: the version's BPMN, the process to show (the one holding
the current step, or the case's own process once it is closed) and which elements to mark."""

from __future__ import annotations

import logging
from typing import Any

from engine import EngineError, ProcessInstance
from webapp.cases.models import Case, CaseStatus
from webapp.processes.registry import definition_for_id

log = logging.getLogger(__name__)


def main_diagram(case: Case) -> str:
    """The BPMN XML of the case's process (the file named after the process id)."""
    files = case.version.files
    return files.get(f"{case.version.process_id}.bpmn") or next(
        (text for name, text in sorted(files.items()) if name.endswith(".bpmn")), "")


def marks_of(instance: ProcessInstance, process_id: str, *, open_case: bool) -> dict[str, Any]:
    """Completed and current element ids for bpmn-js markers, and the processes to show
    (innermost first: the viewer shows the first one the diagram draws as a pool).

    Current means where the case is: a person's ready task or an awaited event, and the
    activities that called its process (the stage), never the boundary timers and event
    subprocesses that only watch them. Nothing is current in a case no longer open.
    """
    marks: dict[str, Any] = {"completed": list(instance.completed_bpmn_ids()), "current": [],
                             "processes": [process_id]}
    steps = instance.current_steps() if open_case else ()
    if not steps:
        return marks
    focus = max(steps, key=lambda step: len(step.processes))  # the deepest: the stage's work
    current = {step.bpmn_id for step in steps if step.processes[0] == focus.processes[0]}
    current.update(caller for step in steps for caller in step.callers)
    marks.update(current=sorted(current), processes=list(focus.processes))
    return marks


def diagram_marks(case: Case) -> dict[str, Any]:
    """The case's diagram marks (``marks_of``) as its last step stored them (``Case.marks``);
    for a case not stepped since they were first stored, from its workflow state, then stored
    unless a step has moved the case meanwhile (no workflow load on its next page)."""
    if case.marks is not None:
        return case.marks
    top = case.version.process_id
    try:
        instance = ProcessInstance.load(definition_for_id(case.version_id), case.state)
    except EngineError as exc:
        log.error("case state unreadable: case=%s code=%s", case.pk, exc.code)
        return {"completed": [], "current": [], "processes": [top]}
    marks = marks_of(instance, top, open_case=case.status == CaseStatus.OPEN)
    Case.objects.filter(pk=case.pk, revision=case.revision, marks__isnull=True).update(
        marks=marks)
    return marks


def diagram_context(case: Case) -> dict[str, Any]:
    return {"diagram_marks": diagram_marks(case)}
