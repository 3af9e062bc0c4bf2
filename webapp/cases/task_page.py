"""Which form a task or an enquiry uses, and the context its page renders it with."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from engine.instructions import render_instructions
from webapp.cases.instruction_words import readable_instructions
from webapp.cases.labelled import labelled_rows
from webapp.cases.models import CaseEvent, EventKind, HumanTask, TaskState
from webapp.cases.parties import hidden_fields
from webapp.cases.schema_forms import render_fields
from webapp.forces.models import Membership
from webapp.processes.deployments import deployment_for
from webapp.processes.models import ProcessVersion
from webapp.processes.registry import definition_for, definition_for_id, scheme_for

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


def intake_form(membership: Membership, scheme: str | None = None
                ) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The form of the declared intake task of ``scheme`` as the force runs it, and the task's
    instructions rendered with the declared defaults: the form that creates a case (read from
    the declaration, without starting an instance)."""
    deployment = deployment_for(membership.force, scheme)
    definition = definition_for_id(deployment.active_version_id)
    declared = definition.scheme
    form_file, ui_file = definition.task_form_files(declared.intake)
    schema = definition.forms.get(form_file) or EMPTY_FORM
    instructions = readable_instructions(render_instructions(
        definition.task_instructions(declared.intake), declared.defaults()), definition)
    return schema, definition.ui_forms.get(ui_file or _ui_name(form_file)) or {}, instructions


def form_context(schema: dict[str, Any], ui: dict[str, Any], data: dict[str, Any],
                 errors: dict[str, list[str]]) -> dict[str, Any]:
    # Nothing typed or saved yet: a fresh form, where defaults (and "ui:default") apply.
    fresh = not data and not errors
    fields = render_fields(schema, None if fresh else data, errors, ui)
    return {"fields": fields, "form_title": schema.get("title", ""),
            "form_description": schema.get("description", ""), "has_errors": bool(errors),
            "errors": errors}


def recorded_answers(task: HumanTask, schema: dict[str, Any],
                     roles: Collection[str]) -> list[dict[str, Any]]:
    """A completed task's answers, labelled by its form (the page's read-only view), leaving
    out the fields of parties the scheme hides from ``roles``."""
    if task.state != TaskState.COMPLETED:
        return []
    data = (CaseEvent.objects.filter(case_id=task.case_id, kind=EventKind.COMPLETED,
                                     bpmn_id=task.bpmn_id).order_by("-at", "-pk")
            .values_list("data", flat=True).first()) or {}
    hidden = hidden_fields(scheme_for(task.case.version_id), roles)
    return labelled_rows(schema, {k: v for k, v in data.items() if k not in hidden})
