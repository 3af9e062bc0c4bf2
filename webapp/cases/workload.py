"""Each officer's workload, for a supervisor: their assigned ready tasks, how many are overdue
and how many are of cases at immediate risk (one grouped query)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from webapp.cases.case_words import display_name
from webapp.cases.models import HumanTask, TaskState
from webapp.forces.models import Membership


@dataclass(frozen=True)
class Workload:
    user_id: int
    name: str
    open: int
    overdue: int
    at_risk: int


def workloads(membership: Membership, officers: list[Membership]) -> list[Workload]:
    """One row per officer of ``officers`` (the supervisor's team), most open tasks first."""
    now = timezone.now()
    counts = {row["assignee_id"]: row for row in HumanTask.objects.filter(
        force_id=membership.force_id, state=TaskState.READY,
        assignee_id__in=[m.user_id for m in officers])
        .values("assignee_id").order_by()
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)),
                  at_risk=Count("id", filter=Q(at_risk=True)))}
    rows = [Workload(m.user_id, display_name(m.user), counts.get(m.user_id, {}).get("open", 0),
                     counts.get(m.user_id, {}).get("overdue", 0),
                     counts.get(m.user_id, {}).get("at_risk", 0)) for m in officers]
    return sorted(rows, key=lambda w: (-w.open, w.name))
