"""Which form a task or an enquiry uses, and the context its page renders it with."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine import EngineError, ProcessInstance
from webapp.cases.labelled import labelled_rows
from webapp.cases.models import CaseEvent, EventKind, HumanTask, TaskState
from webapp.cases.schema_forms import render_fields
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.processes.models import ProcessVersion
from webapp.processes.registry import definition_for

EMPTY_FORM: dict[str, Any] = {"type": "object", "properties": {}}


def _ui_name(form_file: str) -> str:
    return form_file.removesuffix(".schema.json") + ".ui.json"


def _forms(version: ProcessVersion, form_file: str) -> tuple[dict[str, Any], dict[str, Any]]:
    definition = definition_for(version)
    schema = definition.forms.get(form_file) or EMPTY_FORM
    return schema, definition.ui_forms.get(_ui_name(form_file)) or {}


def form_for_task(task: HumanTask) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON Schema and UI schema of a task's form."""
    return _forms(task.case.version, task.form_file)


@lru_cache(maxsize=64)
def _intake_form_file(content_hash: str, version_pk: int) -> str:
    version = ProcessVersion.objects.get(pk=version_pk)
    probe = ProcessInstance.start(definition_for(version), {
        "limit_initial": "PT24H", "limit_interview": "P10D", "limit_overall": "P45D",
        "limit_assessment": None, "limit_decision": None, "decision_route": "single",
        "outcome_codes": []})
    tasks = probe.human_tasks()
    return tasks[0].form_file or "" if tasks else ""


def intake_form(membership: Membership) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form of the first task of the force's process: the enquiry that creates a case.

    A deployed diagram that fails before its first task cannot take enquiries: that is a
    refusal naming the force (the engine's detail is logged), not a server error."""
    version = membership.force.active_version
    if version is None:
        raise ServiceError("conflict", f"{membership.force.name} has no process deployed yet.")
    try:
        form_file = _intake_form_file(version.content_hash, version.pk)
    except EngineError as exc:
        raise ServiceError(
            "conflict", f"The process deployed to {membership.force.name} cannot start an "
                        "enquiry: it fails before its first task. Ask a policy lead to deploy "
                        "a version that works.",
            log_detail=f"{exc.code}: {exc.message}") from exc
    return _forms(version, form_file)


def form_context(schema: dict[str, Any], ui: dict[str, Any], data: dict[str, Any],
                 errors: dict[str, list[str]]) -> dict[str, Any]:
    fields = render_fields(schema, data, errors, ui)
    return {"fields": fields, "form_title": schema.get("title", ""),
            "form_description": schema.get("description", ""), "has_errors": bool(errors),
            "errors": errors}


def recorded_answers(task: HumanTask, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A completed task's answers, labelled by its form (the page's read-only view)."""
    if task.state != TaskState.COMPLETED:
        return []
    data = (CaseEvent.objects.filter(case_id=task.case_id, kind=EventKind.COMPLETED,
                                     bpmn_id=task.bpmn_id).order_by("-at", "-pk")
            .values_list("data", flat=True).first())
    return labelled_rows(schema, data)
