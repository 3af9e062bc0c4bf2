"""Reads for the process studio (definitions are national, per scheme; deployments per force)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from webapp.forces.models import Force, SchemeDeployment
from webapp.processes.drift import national_base, schemes
from webapp.processes.models import (
    Deployment,
    Migration,
    NationalBase,
    ProcessDraft,
    ProcessVersion,
)


def versions(process_id: str) -> QuerySet[ProcessVersion]:
    return (ProcessVersion.objects.filter(process_id=process_id).select_related("created_by")
            .defer("files", "spec_json").order_by("-number"))


def deployed_to() -> dict[int, list[str]]:
    """Version id -> names of the forces running it."""
    out: dict[int, list[str]] = {}
    for version_id, name in (SchemeDeployment.objects.order_by("force__name")
                             .values_list("active_version_id", "force__name")):
        out.setdefault(version_id, []).append(name)
    return out


def open_drafts(process_id: str) -> QuerySet[ProcessDraft]:
    return (ProcessDraft.objects.filter(process_id=process_id, published_as=None)
            .select_related("updated_by", "base").defer("files").order_by("-updated_at"))


@dataclass(frozen=True)
class SchemeSection:
    """One scheme on the studio page: its versions, drafts, base and pending designations."""

    scheme: str
    versions: list[ProcessVersion]
    drafts: list[ProcessDraft]
    base: ProcessVersion | None
    pending_bases: list[NationalBase]


def scheme_sections() -> list[SchemeSection]:
    return [SchemeSection(key, list(versions(key)), list(open_drafts(key)), national_base(key),
                          list(pending_bases(key))) for key in schemes()]


def pending_bases(scheme: str) -> QuerySet[NationalBase]:
    return (NationalBase.objects.filter(scheme=scheme, approved_at__isnull=True)
            .select_related("version", "requested_by")
            .defer("version__files", "version__spec_json").order_by("-requested_at"))


def deployments(force: Force) -> QuerySet[Deployment]:
    return (Deployment.objects.filter(force=force)
            .select_related("version", "requested_by", "decided_by")
            .defer("version__files", "version__spec_json").order_by("-requested_at")[:20])


def migrations(force: Force) -> QuerySet[Migration]:
    return (Migration.objects.filter(force=force).select_related("target")
            .defer("target__files", "target__spec_json").order_by("-requested_at")[:10])
