"""One query per figure, always scoped to the user's force (and to one scheme if named)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth

from webapp.cases.models import Case, CaseStatus
from webapp.clocks.models import CaseClock, ClockState
from webapp.forces.models import Force
from webapp.processes.registry import scheme_for

APPLICATIONS = "applications"  # the return category that counts every case


@dataclass(frozen=True)
class Figure:
    """A chart's data: a title, the name of each series and rows of (label, values...)."""

    key: str
    title: str
    kind: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _cases(force: Force, scheme: str) -> QuerySet[Case]:
    qs = Case.objects.filter(force=force)
    return qs.filter(scheme=scheme) if scheme else qs


def _clocks(force: Force, scheme: str) -> QuerySet[CaseClock]:
    qs = CaseClock.objects.filter(force=force)
    return qs.filter(case__scheme=scheme) if scheme else qs


def open_by_stage(force: Force, scheme: str = "") -> Figure:
    rows = (_cases(force, scheme).filter(status=CaseStatus.OPEN).values("stage")
            .annotate(n=Count("id")).order_by("stage"))
    return Figure("stages", "Open cases by stage", "bar", ("Stage", "Open cases"),
                  [(r["stage"] or "Not started", r["n"]) for r in rows])


def due_this_week(force: Force, now: datetime, scheme: str = "") -> Figure:
    rows = (_clocks(force, scheme).filter(state=ClockState.RUNNING,
                                     due_at__gte=now, due_at__lt=now + timedelta(days=7))
            .annotate(day=TruncDate("due_at")).values("day", "clock")
            .annotate(n=Count("id"), label=Max("label")).order_by("day", "clock"))
    by_day: dict[str, dict[str, int]] = {}
    labels: dict[str, str] = {}  # each clock's label as its rows store it
    for r in rows:
        by_day.setdefault(r["day"].strftime("%a %d %b"), {})[r["clock"]] = r["n"]
        labels[r["clock"]] = r["label"]
    clocks = sorted({c for day in by_day.values() for c in day})
    return Figure("due", "Clocks falling due in the next 7 days", "stacked",
                  ("Day", *[labels[c] for c in clocks]),
                  [(day, *[counts.get(c, 0) for c in clocks]) for day, counts in by_day.items()])


def breaches_per_month(force: Force, now: datetime, scheme: str = "") -> Figure:
    rows = (_clocks(force, scheme).filter(state=ClockState.BREACHED,
                                     due_at__gte=now - timedelta(days=365))
            .annotate(month=TruncMonth("due_at")).values("month")
            .annotate(n=Count("id")).order_by("month"))
    return Figure("breaches", "Breaches per month (last 12 months)", "bar",
                  ("Month", "Breaches"), [(r["month"].strftime("%b %Y"), r["n"]) for r in rows])


def met_rate(force: Force, now: datetime, scheme: str = "") -> Figure:
    rows = (_clocks(force, scheme).filter(stopped_at__gte=now - timedelta(days=365))
            .exclude(state=ClockState.STOPPED)  # withdrawn before the limit: neither way
            .values("clock")
            .annotate(total=Count("id"), met=Count("id", filter=Q(state=ClockState.MET)),
                      label=Max("label"))
            .order_by("clock"))
    return Figure("met", "Clocks met on time (last 12 months, %)", "bar",
                  ("Clock", "Met %", "Stopped clocks"),
                  [(r["label"], round(100 * r["met"] / r["total"], 1), r["total"])
                   for r in rows if r["total"]])


def returns(force: Force, now: datetime, scheme: str = "") -> Figure:
    """Cases of the last 12 months per return category each scheme declares: ``applications``
    counts every case, the others the closed cases with an outcome that counts for them."""
    rows = (_cases(force, scheme).filter(opened_at__gte=now - timedelta(days=365))
            .values("version_id", "status", "outcome_codes").annotate(n=Count("id"))
            .order_by("version_id"))
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        declared = scheme_for(row["version_id"])
        for category, label in declared.returns.items():
            key = (declared.short_title or declared.title, label)
            counts.setdefault(key, 0)
            if category == APPLICATIONS:
                counts[key] += row["n"]
            elif row["status"] == CaseStatus.CLOSED and set(row["outcome_codes"] or ()) & set(
                    declared.counted_codes(category)):
                counts[key] += row["n"]
    several = len({title for title, _ in counts}) > 1
    return Figure("returns", "Returns (last 12 months)", "bar", ("Return", "Cases"),
                  [(f"{title}: {label}" if several else label, n)
                   for (title, label), n in counts.items()])


def open_at_risk(force: Force, limit: int = 50, scheme: str = "") -> list[tuple[Case, str]]:
    """Open cases carrying a risk marker, newest first, each with its markers' labels."""
    cases = (_cases(force, scheme).filter(status=CaseStatus.OPEN).exclude(risks=[])
             .only("reference", "stage", "opened_at", "risks", "version_id")
             .order_by("-opened_at", "-id")[:limit])
    return [(case, ", ".join(scheme_for(case.version_id).risk_label(name)
                             for name in case.risks)) for case in cases]


def figures(force: Force, now: datetime, scheme: str = "") -> list[Figure]:
    return [open_by_stage(force, scheme), due_this_week(force, now, scheme),
            breaches_per_month(force, now, scheme), met_rate(force, now, scheme),
            returns(force, now, scheme)]
