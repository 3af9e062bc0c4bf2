"""Moving a force's live cases of one scheme to another version of it: a dry run, then one
audited bulk move.

The dry run gives every live case a verdict (can move / cannot, and why) without changing
anything. The bulk move runs in the background, one case per transaction under the case lock,
records each case's from/to version in its history, and keeps open tasks and clocks intact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import EngineError
from engine.migration import assess_state, migrate
from webapp.audit.models import Operation
from webapp.cases.case_step import case_step, lock_case
from webapp.cases.models import Case, CaseStatus, EventKind
from webapp.cases.timers import load_for_step
from webapp.celery import app
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment
from webapp.permissions import Action, require
from webapp.processes.models import (
    Deployment,
    DeploymentStatus,
    Migration,
    MigrationStatus,
    ProcessVersion,
)
from webapp.processes.registry import definition_for, definition_for_id

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class Verdict:
    reference: str
    from_version: str
    can_move: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DryRun:
    """The verdicts, and whether cases may be moved now: only to the version the force runs
    (``deployed``); ``awaiting_approval`` when a request to deploy it waits for a second
    policy lead."""

    target: ProcessVersion
    verdicts: list[Verdict]
    deployed: bool = False
    awaiting_approval: bool = False

    @property
    def movable(self) -> int:
        return sum(v.can_move for v in self.verdicts)

    @property
    def unmovable(self) -> int:
        return len(self.verdicts) - self.movable


def _live_cases(force_id: int, target: ProcessVersion):  # noqa: ANN202 - a queryset
    """The force's open cases of the target's scheme that run another version of it."""
    return (Case.objects.filter(force_id=force_id, scheme=target.process_id,
                                status=CaseStatus.OPEN)
            .exclude(version=target).order_by("pk"))


def _target(version_id: int) -> ProcessVersion:
    target = ProcessVersion.objects.filter(pk=version_id).first()
    if target is None:
        raise ServiceError("not_found", "No such process version.")
    return target


def migration_dry_run(*, user: AbstractBaseUser, version_id: int) -> DryRun:
    """Every live case of the user's force in the version's scheme, with whether it could
    move to the version."""
    membership = require(user, Action.USE_STUDIO)
    target = _target(version_id)
    target_definition = definition_for(target)
    verdicts = []
    cases = _live_cases(membership.force_id, target).select_related("version").only(
        "reference", "state", "version__process_id", "version__number", "version_id")
    for case in cases.iterator(chunk_size=BATCH):
        source = definition_for_id(case.version_id)
        try:
            verdict = assess_state(bytes(case.state), source, target_definition)
            reasons, ok = verdict.reasons, verdict.can_move
        except EngineError as exc:
            reasons, ok = (exc.message,), False
        verdicts.append(Verdict(case.reference, str(case.version), ok, tuple(reasons)))
    deployed = _deployed(membership.force_id, target)
    waiting = not deployed and Deployment.objects.filter(
        force_id=membership.force_id, version=target, status=DeploymentStatus.PENDING).exists()
    return DryRun(target, verdicts, deployed=deployed, awaiting_approval=waiting)


def _deployed(force_id: int, target: ProcessVersion) -> bool:
    """Whether the force runs ``target`` for its scheme: cases move only to that version."""
    return SchemeDeployment.objects.filter(force_id=force_id, scheme=target.process_id,
                                           active_version=target).exists()


def migration_start(*, user: AbstractBaseUser, version_id: int) -> Migration:
    """Queue the bulk move of the force's movable cases of the version's scheme; progress
    shows on its page."""
    membership = require(user, Action.USE_STUDIO)
    target = _target(version_id)
    if not _deployed(membership.force_id, target):
        raise ServiceError("conflict", "Deploy the version to your force before moving cases "
                                       "to it.")
    with transaction.atomic(durable=True):
        migration = Migration.objects.create(
            force=membership.force, target=target, requested_by=user,
            requested_at=timezone.now(),
            total=_live_cases(membership.force_id, target).count())
        transaction.on_commit(lambda: _enqueue(migration.pk))
    return migration


def _enqueue(migration_id: int) -> None:
    app.send_task("processes.run_migration", args=[migration_id])


def _move_one(case_id: int, migration: Migration, target_definition) -> list[str]:  # noqa: ANN001
    """Move one case under its lock; return why not, or [] when it moved."""
    with case_step(user=migration.requested_by, need_to_know=False,
                   lock=lambda: lock_case(pk=case_id)) as step:
        case = step.case
        if case.status != CaseStatus.OPEN or case.version_id == migration.target_id:
            return ["the case closed or moved before its turn"]
        source_version = str(case.version)
        try:
            # What fell due under the old version fires first, as before any step.
            moved = migrate(load_for_step(case, now=step.now).instance, target_definition)
        except EngineError as exc:
            return [exc.message]
        case.version_id = migration.target_id
        detail = (f"Moved from {source_version} to {migration.target} "
                  f"(migration {migration.pk})")
        step.event(EventKind.MIGRATED, detail=detail)
        step.sync(moved, moved.status(), ready_before=None, timer_rows=None)
        step.access(Operation.ALTER, f"case migrated: {detail}", fields=["version"])
    return []


def migration_run(migration_id: int) -> Migration:
    """Background job: move every movable live case, recording progress as it goes."""
    migration = Migration.objects.select_related("target", "requested_by").get(pk=migration_id)
    if migration.status not in (MigrationStatus.QUEUED, MigrationStatus.RUNNING):
        return migration
    Migration.objects.filter(pk=migration.pk).update(status=MigrationStatus.RUNNING)
    target_definition = definition_for(migration.target)
    refused: list[dict[str, object]] = []
    moved = done = 0
    ids = list(_live_cases(migration.force_id, migration.target)
               .values_list("pk", "reference"))
    for case_id, reference in ids:
        reasons = _move_one(case_id, migration, target_definition)
        done += 1
        if reasons:
            refused.append({"reference": reference, "reasons": reasons})
        else:
            moved += 1
        if done % 20 == 0 or done == len(ids):
            Migration.objects.filter(pk=migration.pk).update(done=done, moved=moved,
                                                             refused=refused)
    Migration.objects.filter(pk=migration.pk).update(
        status=MigrationStatus.DONE, finished_at=timezone.now(), total=len(ids), done=done,
        moved=moved, refused=refused)
    log.info("migration finished: migration=%s moved=%s refused=%s", migration.pk, moved,
             len(refused))
    migration.refresh_from_db()
    return migration
