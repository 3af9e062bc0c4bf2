"""Reads for the process studio (definitions are national; deployments are per force)."""

from __future__ import annotations

from django.db.models import QuerySet

from webapp.forces.models import Force
from webapp.processes.models import Deployment, Migration, ProcessDraft, ProcessVersion


def versions(process_id: str = "csods") -> QuerySet[ProcessVersion]:
    return (ProcessVersion.objects.filter(process_id=process_id).select_related("created_by")
            .defer("files", "spec_json").order_by("-number"))


def deployed_to() -> dict[int, list[str]]:
    """Version id -> names of the forces running it."""
    out: dict[int, list[str]] = {}
    for force in Force.objects.exclude(active_version=None).order_by("name"):
        out.setdefault(force.active_version_id, []).append(force.name)
    return out


def open_drafts(process_id: str = "csods") -> QuerySet[ProcessDraft]:
    return (ProcessDraft.objects.filter(process_id=process_id, published_as=None)
            .select_related("updated_by", "base").defer("files").order_by("-updated_at"))


def deployments(force: Force) -> QuerySet[Deployment]:
    return (Deployment.objects.filter(force=force)
            .select_related("version", "requested_by", "decided_by")
            .defer("version__files", "version__spec_json").order_by("-requested_at")[:20])


def migrations(force: Force) -> QuerySet[Migration]:
    return (Migration.objects.filter(force=force).select_related("target")
            .defer("target__files", "target__spec_json").order_by("-requested_at")[:10])
