"""What the case page's diagram shows: the version's BPMN and which elements to highlight."""

from __future__ import annotations

import logging
from typing import Any

from engine import EngineError, ProcessInstance
from webapp.cases.models import Case
from webapp.processes.registry import definition_for_id

log = logging.getLogger(__name__)


def main_diagram(case: Case) -> str:
    """The BPMN XML of the case's process (the file named after the process id)."""
    files = case.version.files
    return files.get(f"{case.version.process_id}.bpmn") or next(
        (text for name, text in sorted(files.items()) if name.endswith(".bpmn")), "")


def diagram_context(case: Case) -> dict[str, Any]:
    """Completed and current element ids for bpmn-js markers (one workflow load per page)."""
    try:
        instance = ProcessInstance.load(definition_for_id(case.version_id), case.state)
    except EngineError as exc:
        log.error("case state unreadable: case=%s code=%s", case.pk, exc.code)
        return {"diagram_marks": {"completed": [], "current": []}}
    return {"diagram_marks": {"completed": list(instance.completed_bpmn_ids()),
                              "current": list(instance.active_bpmn_ids())}}
