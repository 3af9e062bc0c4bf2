"""How each force's effective process differs from the national base."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.forces.models import DecisionRoute, Force, InterviewMode, RecipientRule
from webapp.processes.models import ProcessVersion

NATIONAL_PROFILE = "national-2011"


@dataclass(frozen=True)
class Drift:
    force: Force
    differences: list[tuple[str, str, str]]  # (what, national base, this force)


def _latest_national() -> ProcessVersion | None:
    return ProcessVersion.objects.filter(process_id="csods").order_by("-number").first()


def drift_report() -> list[Drift]:
    """One row per force: every parameter or version that differs from the national base."""
    latest = _latest_national()
    report = []
    forces = Force.objects.select_related("time_limit_profile", "active_version").order_by("name")
    for force in forces:
        diffs: list[tuple[str, str, str]] = []
        profile = force.time_limit_profile
        if profile.code != NATIONAL_PROFILE:
            diffs.append(("Time-limit profile", "National 2011", profile.name))
        for label, value, base in (
                ("Decision route", force.decision_route, DecisionRoute.SINGLE),
                ("Interview mode", force.interview_mode, InterviewMode.IN_PERSON),
                ("Recipient rule", force.recipient_rule, RecipientRule.BEST_PLACED)):
            if value != base:
                diffs.append((label, str(base.label), _label(value)))
        for lane, team in sorted(force.lane_teams.items()):
            diffs.append((f"{lane} lane", "any team of the role", team))
        for step in force.local_steps:
            diffs.append(("Local step", "not in the base", step))
        if latest is not None and force.active_version_id != latest.pk:
            diffs.append(("Process version", str(latest),
                          str(force.active_version) if force.active_version else "none"))
        report.append(Drift(force, diffs))
    return report


def _label(value: str) -> str:
    for choices in (DecisionRoute, InterviewMode, RecipientRule):
        if value in choices.values:
            return str(choices(value).label)
    return value
