"""Reads for clock displays: a case's clocks with their pauses, its pending extensions, and a
force's open clock alerts. (Panels that also read cases are in ``webapp.cases.oversight``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent, ExtensionRequest
from webapp.forces.models import Membership

if TYPE_CHECKING:
    from webapp.cases.models import Case


@dataclass(frozen=True)
class ClockView:
    row: CaseClock
    pauses: list[tuple[datetime, datetime | None, str]]


def case_clocks(case: Case) -> list[ClockView]:
    events = list(ClockEvent.objects.filter(case=case, kind__in=["paused", "resumed"])
                  .order_by("at", "pk"))
    views = []
    for row in CaseClock.objects.filter(case=case).order_by("started_at", "pk"):
        pauses: list[tuple[datetime, datetime | None, str]] = []
        for event in (e for e in events if e.clock == row.clock):
            if event.kind == "paused":
                pauses.append((event.at, None, event.reason))
            elif pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], event.at, pauses[-1][2])
        views.append(ClockView(row, pauses))
    return views


def pending_extensions(case: Case) -> QuerySet[ExtensionRequest]:
    return case.extensions.filter(approved__isnull=True).select_related("requested_by")


# The decision maker's panels show each case's reference: they do not read its stored state.
def open_alerts(membership: Membership) -> QuerySet[ClockAlert]:
    return (ClockAlert.objects.filter(force_id=membership.force_id, acknowledged_at__isnull=True)
            .select_related("case").defer("case__state").order_by("-at")[:50])
