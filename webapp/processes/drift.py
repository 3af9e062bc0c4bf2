"""How each force's deployment of a scheme differs from that scheme's national base.

The national base is an approved designation (``NationalBase``), never simply the newest
version. Parameters are compared with the base's declared defaults, in the declaration's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.scheme import Parameter, Scheme
from webapp.forces.models import Force, SchemeDeployment
from webapp.processes.models import NationalBase, ProcessVersion
from webapp.processes.registry import scheme_for


@dataclass(frozen=True)
class Drift:
    force: Force
    differences: list[tuple[str, str, str]]  # (what, national base, this force)


@dataclass(frozen=True)
class SchemeDrift:
    scheme: str
    title: str
    base: ProcessVersion | None
    forces: list[Drift]


def national_base(scheme: str) -> ProcessVersion | None:
    """The scheme's approved national base (None until one is approved)."""
    row = (NationalBase.objects.filter(scheme=scheme, approved_at__isnull=False)
           .select_related("version").defer("version__files", "version__spec_json")
           .order_by("-approved_at", "-pk").first())
    return row.version if row else None


def _words(parameter: Parameter, value: Any) -> str:
    if value is None or value == []:
        return "not set"
    if parameter.type == "steps" and isinstance(value, list):
        return ", ".join(parameter.option_label(v) for v in value)
    if parameter.type == "flag":
        return "yes" if value else "no"
    return parameter.option_label(value) if parameter.type == "choice" else str(value)


def _differences(deployment: SchemeDeployment, base: ProcessVersion | None,
                 scheme: Scheme) -> list[tuple[str, str, str]]:
    diffs: list[tuple[str, str, str]] = []
    profile = deployment.time_limit_profile
    values = {**(profile.limits if profile else {}), **(deployment.parameters or {})}
    for name, parameter in scheme.parameters.items():
        if name in values and values[name] != parameter.default:
            diffs.append((parameter.label, _words(parameter, parameter.default),
                          _words(parameter, values[name])))
    for lane, team in sorted((deployment.lane_teams or {}).items()):
        diffs.append((f"{lane} lane", "any team of the role", team))
    if base is not None and deployment.active_version_id != base.pk:
        diffs.append(("Process version", str(base), str(deployment.active_version)))
    return diffs


def schemes() -> list[str]:
    """Process ids with a version or a deployment, in order."""
    known = set(ProcessVersion.objects.values_list("process_id", flat=True).distinct())
    known |= set(SchemeDeployment.objects.values_list("scheme", flat=True).distinct())
    return sorted(known)


def drift_report() -> list[SchemeDrift]:
    """Per scheme, one row per force running it: what differs from the national base."""
    deployments: dict[str, list[SchemeDeployment]] = {}
    for d in (SchemeDeployment.objects.select_related("force", "time_limit_profile")
              .select_related("active_version")
              .defer("active_version__files", "active_version__spec_json")
              .order_by("force__name")):
        deployments.setdefault(d.scheme, []).append(d)
    report = []
    for key in schemes():
        base = national_base(key)
        rows = deployments.get(key, [])
        reference = base.pk if base else (rows[0].active_version_id if rows else None)
        scheme = scheme_for(reference) if reference else Scheme.empty()
        report.append(SchemeDrift(key, scheme.title or key, base, [
            Drift(d.force, _differences(d, base, scheme)) for d in rows]))
    return report
