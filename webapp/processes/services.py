"""Process studio verbs: drafts checked on every save, immutable versions, four-eyes deployment.

Only policy leads change process definitions. A version with errors cannot be published; a
deployment needs a second policy lead; new cases start on the force's deployed version and
running cases stay on theirs until migrated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import DefinitionInvalid, check_files, load_files
from engine.scenario_file import is_scenario_name
from engine.scheme import DECLARATION_FILE, LETTER_FOLDER, LETTER_STYLESHEET, LETTER_SUFFIX
from engine.xml_safety import XmlProblem, parse_xml
from webapp.errors import ServiceError
from webapp.forces.models import Force, Membership, SchemeDeployment
from webapp.permissions import Action, require
from webapp.processes import scenario_runs
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.models import (
    Deployment,
    DeploymentStatus,
    ProcessDraft,
    ProcessVersion,
)

log = logging.getLogger(__name__)

MAX_FILES = 100
ALLOWED_SUFFIXES = (".bpmn", ".dmn", ".schema.json", ".ui.json")


def policy_lead(user: AbstractBaseUser) -> Membership:
    return require(user, Action.USE_STUDIO)


def _check(process_id: str, files: Mapping[str, bytes]) -> list[dict[str, object]]:
    return [asdict(p) for p in check_files(files, process_id, roles=WORK_ROLES)]


def _recheck(draft: ProcessDraft) -> None:
    """Check the whole definition, then run its scenarios (a failing one is an error)."""
    files = draft.file_bytes()
    problems = _check(draft.process_id, files)
    draft.scenario_results, failures = scenario_runs.run_for_files(draft.process_id, files,
                                                                   problems)
    draft.problems = problems + failures
    draft.error_count = sum(1 for p in draft.problems if p["severity"] == "error")


def _is_letter_name(name: str) -> bool:
    """``letters/<key>.html``: a letter template of the scheme, or ``letters/style.css``, the
    letters' stylesheet (docs/letters.md)."""
    key = name.removeprefix(LETTER_FOLDER).removesuffix(LETTER_SUFFIX)
    return name == LETTER_STYLESHEET or (
        name.startswith(LETTER_FOLDER) and name.endswith(LETTER_SUFFIX)
        and key.replace("_", "").isalnum() and key[:1].isalpha())


def _valid_name(name: str) -> str:
    clean = name.replace("\\", "/").strip()
    if clean == DECLARATION_FILE or is_scenario_name(clean) or _is_letter_name(clean):
        return clean
    short = clean.removeprefix("forms/")
    if "/" in short or short.startswith(".") or not clean.endswith(ALLOWED_SUFFIXES):
        raise ServiceError("invalid", f"'{name}' is not a process file name (.bpmn, .dmn, "
                                      "scheme.json, forms/<key>.schema.json, "
                                      "forms/<key>.ui.json, scenarios/<name>.json or "
                                      "letters/<key>.html or letters/style.css).")
    if clean.endswith((".schema.json", ".ui.json")) and not clean.startswith("forms/"):
        clean = f"forms/{clean}"
    return clean


def draft_create(*, user: AbstractBaseUser, version_id: int, title: str = "") -> ProcessDraft:
    """Start a draft from a published version (its files copied, nothing shared)."""
    policy_lead(user)
    version = ProcessVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise ServiceError("not_found", "No such process version.")
    now = timezone.now()
    return ProcessDraft.objects.create(
        process_id=version.process_id, title=title or f"Changes to {version}",
        files=dict(version.files), base=version, problems=[], error_count=0,
        created_by=user, updated_by=user, updated_at=now)


def _editable(membership: Membership, draft_id: int) -> ProcessDraft:
    draft = ProcessDraft.objects.select_for_update().filter(pk=draft_id).first()
    if draft is None:
        raise ServiceError("not_found", "No such draft.")
    if draft.published_as_id is not None:
        raise ServiceError("conflict", f"This draft was published as {draft.published_as}; "
                                       "start a new draft to change it.")
    return draft


def draft_save(*, user: AbstractBaseUser, draft_id: int, files: Mapping[str, str],
               if_saved_at: str | None = None) -> ProcessDraft:
    """Replace some of a draft's files, then check the whole definition (errors are kept).

    ``if_saved_at`` (the save time the editor loaded) refuses to overwrite someone's newer save.
    """
    membership = policy_lead(user)
    if not files or len(files) > MAX_FILES:
        raise ServiceError("invalid", "Send between 1 and 100 files.")
    cleaned = {_valid_name(name): text for name, text in files.items()}
    for name, text in cleaned.items():
        if not isinstance(text, str):
            raise ServiceError("invalid", f"'{name}' must be text.")
        if name.endswith((".bpmn", ".dmn")):
            try:
                parse_xml(text.encode(), name)  # hostile XML never reaches storage
            except XmlProblem as exc:
                raise ServiceError("invalid", str(exc),
                                   field_errors={name: [exc.message]}) from exc
    with transaction.atomic(durable=True):
        draft = _editable(membership, draft_id)
        if if_saved_at and if_saved_at != draft.updated_at.isoformat():
            raise ServiceError("conflict", f"{draft.updated_by.get_username()} saved this draft "
                                           "after you opened it; reload it to see their changes.")
        merged = {**draft.files, **cleaned}
        if len(merged) > MAX_FILES:
            raise ServiceError("invalid", f"A draft holds at most {MAX_FILES} files; this save "
                                          f"would make it {len(merged)}. Remove some first.")
        draft.files = merged
        _recheck(draft)
        draft.updated_by, draft.updated_at = user, timezone.now()
        draft.save()
    log.info("draft saved: draft=%s errors=%s", draft.pk, draft.error_count)
    return draft


def draft_remove_file(*, user: AbstractBaseUser, draft_id: int, name: str) -> ProcessDraft:
    membership = policy_lead(user)
    with transaction.atomic(durable=True):
        draft = _editable(membership, draft_id)
        if name not in draft.files:
            raise ServiceError("not_found", f"The draft has no file '{name}'.")
        draft.files = {k: v for k, v in draft.files.items() if k != name}
        _recheck(draft)
        draft.updated_by, draft.updated_at = user, timezone.now()
        draft.save()
    return draft


def version_publish(*, user: AbstractBaseUser, draft_id: int, note: str) -> ProcessVersion:
    """Freeze a draft without errors into an immutable, content-hashed version."""
    membership = policy_lead(user)
    if not note.strip():
        raise ServiceError("invalid", "Say what changed and why.",
                           field_errors={"note": ["Say what changed and why."]})
    with transaction.atomic(durable=True):
        draft = _editable(membership, draft_id)
        try:
            definition = load_files(draft.file_bytes(), draft.process_id,
                                    roles=WORK_ROLES)
        except DefinitionInvalid as exc:
            raise ServiceError("conflict", f"The draft has {len(exc.problems)} problem(s); "
                                           "fix them before publishing.") from exc
        scenario_runs.refuse_failing(definition)
        if ProcessVersion.objects.filter(content_hash=definition.content_hash).exists():
            raise ServiceError("conflict", "Nothing changed: an identical version exists.")
        last = (ProcessVersion.objects.select_for_update()
                .filter(process_id=draft.process_id).order_by("-number").first())
        version = ProcessVersion.objects.create(
            process_id=draft.process_id, number=(last.number + 1) if last else 1,
            content_hash=definition.content_hash, files=dict(draft.files),
            spec_json=definition.spec_json(), note=note.strip(), base=draft.base,
            created_by=user)
        draft.published_as = version
        draft.save(update_fields=["published_as"])
    log.info("version published: version=%s", version.pk)
    return version


def deployment_request(*, user: AbstractBaseUser, version_id: int, note: str) -> Deployment:
    """Ask to deploy a published version to one's own force; another policy lead approves."""
    membership = policy_lead(user)
    version = ProcessVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise ServiceError("not_found", "No such process version.")
    if not note.strip():
        raise ServiceError("invalid", "Say why this version should be deployed.",
                           field_errors={"note": ["Say why this version should be deployed."]})
    force = Force.objects.get(pk=membership.force_id)
    if SchemeDeployment.objects.filter(force=force, scheme=version.process_id,
                                       active_version=version).exists():
        raise ServiceError("conflict", f"{force.name} already runs {version}.")
    if Deployment.objects.filter(force=force, version=version,
                                 status=DeploymentStatus.PENDING).exists():
        raise ServiceError("conflict", f"A request to deploy {version} is already waiting.")
    return Deployment.objects.create(force=membership.force, version=version, note=note.strip(),
                                     requested_by=user, requested_at=timezone.now())


def deployment_decide(*, user: AbstractBaseUser, deployment_id: int,
                      approve: bool) -> Deployment:
    """A second policy lead of the force approves (the force's deployment of the version's
    scheme switches to it) or rejects."""
    membership = policy_lead(user)
    with transaction.atomic(durable=True):
        deployment = (Deployment.objects.select_for_update()
                      .filter(pk=deployment_id, force=membership.force).first())
        if deployment is None:
            raise ServiceError("not_found", "No such deployment request in your force.")
        if deployment.status != DeploymentStatus.PENDING:
            raise ServiceError("conflict", f"That request is already {deployment.status}.")
        if deployment.requested_by_id == user.pk:
            raise ServiceError("forbidden", "A second policy lead must approve your request.")
        deployment.status = DeploymentStatus.DEPLOYED if approve else DeploymentStatus.REJECTED
        deployment.decided_by, deployment.decided_at = user, timezone.now()
        deployment.save()
        if approve:
            # The force's deployment of this version's scheme only; its other schemes stay.
            SchemeDeployment.objects.update_or_create(
                force_id=deployment.force_id, scheme=deployment.version.process_id,
                defaults={"active_version": deployment.version})
    log.info("deployment decided: deployment=%s status=%s", deployment.pk, deployment.status)
    return deployment
