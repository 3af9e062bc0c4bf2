"""Reads for the inbox. Always scoped to the user's force; never deserialize a workflow."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from webapp.cases.models import Case, CaseEvent, HumanTask, TaskState
from webapp.forces.models import Membership
from webapp.processes.lanes import LANE_ROLES

PAGE = 50


def my_tasks(membership: Membership) -> QuerySet[HumanTask]:
    """Ready tasks assigned to the user, soonest due first."""
    return (HumanTask.objects
            .filter(assignee_id=membership.user_id, state=TaskState.READY,
                    force_id=membership.force_id)
            .select_related("case")
            .only("id", "name", "stage", "due_at", "lane", "case__reference", "case__stage")
            .order_by("due_at", "id"))


def queue(membership: Membership) -> QuerySet[HumanTask]:
    """Unassigned ready tasks in lanes the user's roles may work."""
    lanes = [lane for lane, role in LANE_ROLES.items() if role in membership.roles]
    return (HumanTask.objects
            .filter(force_id=membership.force_id, state=TaskState.READY,
                    assignee__isnull=True, lane__in=lanes)
            .select_related("case")
            .only("id", "name", "stage", "due_at", "lane", "case__reference", "case__stage")
            .order_by("due_at", "id"))


def cases(membership: Membership, *, text: str = "", status: str = "",
          stage: str = "") -> QuerySet[Case]:
    """Search the force's cases the user may see, by reference or party name, status, stage."""
    from webapp.audit.access import visible

    qs = Case.objects.filter(visible(membership))
    text = text.strip()
    if text:
        qs = qs.filter(Q(reference__iexact=text) | Q(applicant_name__icontains=text)
                       | Q(subject_name__icontains=text) | Q(child_names__icontains=text))
    if status:
        qs = qs.filter(status=status)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.only("reference", "status", "stage", "opened_at", "applicant_name",
                   "subject_name", "child_names", "next_due_at").order_by("-opened_at", "-id")


def stages(membership: Membership) -> list[str]:
    """Stage names to filter by: those of the force's process (no scan of its cases)."""
    from webapp.processes.registry import definition_for_id

    version_id = membership.force.active_version_id
    names = definition_for_id(version_id).stage_names() if version_id else ()
    return [*names, "Closed"]


def case_detail(membership: Membership, reference: str) -> Case | None:
    # The version's files and spec are large and never shown here: leave them in the database.
    return (Case.objects.select_related("version", "opened_by")
            .defer("version__files", "version__spec_json")
            .filter(force_id=membership.force_id, reference=reference).first())


def task_detail(membership: Membership, task_id: int) -> HumanTask | None:
    return (HumanTask.objects.select_related("case", "case__version", "assignee")
            .filter(force_id=membership.force_id, pk=task_id).first())


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def case_open_tasks(case: Case) -> QuerySet[HumanTask]:
    return case.tasks.filter(state=TaskState.READY).select_related("assignee").order_by("due_at")


def colleagues(membership: Membership, role: str) -> list[Membership]:
    """Officers in the same force (and team, if any) who hold ``role``."""
    qs = Membership.objects.filter(force_id=membership.force_id).select_related("user")
    if membership.team_id:
        qs = qs.filter(team_id=membership.team_id)
    return [m for m in qs.order_by("user__username") if role in m.roles]
