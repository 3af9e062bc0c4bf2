"""Studio verbs for a draft's scenarios: walk through the draft, save the walk as a scenario
file in the draft, delete one. Saving goes through ``draft_save`` (checked, scenarios run)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from engine import Definition, DefinitionInvalid, load_files
from engine.scenario_file import FOLDER, SUFFIX, is_scenario_name
from engine.scenario_walk import Walk, WalkStep, scenario_document, walk
from webapp.errors import ServiceError
from webapp.processes import services
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.models import ProcessDraft

TITLE_NEEDED = "Enter a title for the scenario"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def draft_definition(draft: ProcessDraft) -> Definition:
    """The draft as the engine runs it; refused while the draft has errors."""
    try:
        return load_files(draft.file_bytes(), draft.process_id, roles=WORK_ROLES)
    except DefinitionInvalid as exc:
        raise ServiceError("conflict", "The draft has errors, so it cannot run. Fix them on "
                                       "the draft page, then walk through it.") from exc


def scenario_walk(*, user: AbstractBaseUser, draft: ProcessDraft, steps: Sequence[WalkStep],
                  events: Sequence[Mapping[str, Any]] = (),
                  parameters: Mapping[str, Any] | None = None) -> Walk:
    """Replay a walk's answers and events on the draft and say where the case stands."""
    services.policy_lead(user)
    return walk(draft_definition(draft), steps, events, parameters)


def walk_parameters(definition: Definition, chosen: Mapping[str, str]) -> dict[str, Any]:
    """The choice parameters a walk starts with, where they differ from the declared default;
    a value the declaration does not offer is refused."""
    values: dict[str, Any] = {}
    for name, parameter in definition.scheme.parameters.items():
        value = chosen.get(name)
        if parameter.type != "choice" or value is None or value == parameter.default:
            continue
        if value not in parameter.options:
            message = f"Select {parameter.label.lower()}"
            raise ServiceError("invalid", message, field_errors={name: [message]})
        values[name] = value
    return values


def _file_name(title: str, existing: Mapping[str, Any]) -> str:
    slug = _NOT_SLUG.sub("-", title.lower()).strip("-")[:60].strip("-") or "scenario"
    name, number = f"{FOLDER}{slug}{SUFFIX}", 2
    while name in existing:
        name, number = f"{FOLDER}{slug}-{number}{SUFFIX}", number + 1
    return name


def scenario_save(*, user: AbstractBaseUser, draft_id: int, title: str,
                  steps: Sequence[WalkStep], events: Sequence[Mapping[str, Any]] = (),
                  parameters: Mapping[str, Any] | None = None) -> tuple[ProcessDraft, str]:
    """Save a walk as a new scenario of the draft, expecting the path and outcome it had."""
    services.policy_lead(user)
    title = " ".join(title.split())
    if not title:
        raise ServiceError("invalid", TITLE_NEEDED, field_errors={"title": [TITLE_NEEDED]})
    if len(title) > 200:  # noqa: PLR2004 - the scenario format's limit
        raise ServiceError("invalid", "The title must be 200 characters or fewer",
                           field_errors={"title": ["The title must be 200 characters or fewer"]})
    draft = ProcessDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        raise ServiceError("not_found", "No such draft.")
    if not steps:
        raise ServiceError("invalid", "Answer at least one task before saving the scenario.")
    done = walk(draft_definition(draft), steps, events, parameters)
    if done.stopped:
        raise ServiceError("conflict", f"The walk cannot be saved: {done.stopped}")
    name = _file_name(title, draft.files)
    text = json.dumps(scenario_document(title, steps, events, done, parameters), indent=2,
                      ensure_ascii=False) + "\n"
    return services.draft_save(user=user, draft_id=draft_id, files={name: text}), name


def scenario_delete(*, user: AbstractBaseUser, draft_id: int, name: str) -> ProcessDraft:
    """Remove a scenario file from the draft (the draft is checked and run again)."""
    if not is_scenario_name(name):
        raise ServiceError("not_found", "No such scenario in the draft.")
    return services.draft_remove_file(user=user, draft_id=draft_id, name=name)
