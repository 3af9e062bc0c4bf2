"""The dashboard's figures, always scoped to the user's force (and to one scheme if named).

Each figure says its period and what it counts, and each count carries the link to the case
list showing exactly the cases behind it: the count and the list read the same clock
definitions (``webapp.clocks.periods``) and the same case filters (``CaseQuery``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.urls import reverse
from django.utils import timezone

from webapp.cases.case_filters import NOT_STARTED
from webapp.cases.models import Case, CaseStatus
from webapp.cases.return_rules import counted
from webapp.clocks.models import CaseClock, ClockState
from webapp.clocks.periods import (
    BREACHED,
    DUE,
    MET,
    OVERDUE,
    STOPPED,
    Period,
    clock_filter,
    last_months,
    this_month,
)
from webapp.forces.models import Force
from webapp.processes.deployments import scheme_titles
from webapp.processes.registry import scheme_for

COUNT_AXIS = {"beginAtZero": True, "ticks": {"precision": 0}}  # whole numbers only
PERCENT_AXIS = {"beginAtZero": True, "min": 0, "max": 100, "ticks": {"precision": 0}}


def cases_link(scheme: str = "", **query: str) -> str:
    """The case list showing the cases behind a figure."""
    values = {"scheme": scheme, **query} if scheme else dict(query)
    return f"{reverse('cases:cases')}?{urlencode(values)}"


@dataclass(frozen=True)
class Figure:
    """A chart's data: a title, what it counts, the name of each column and rows of (label,
    values...); ``links[r][c]`` opens the cases behind value column ``c`` of row ``r``."""

    key: str
    title: str
    kind: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""
    links: list[list[str | None]] = field(default_factory=list)
    y_axis: dict[str, Any] = field(default_factory=lambda: dict(COUNT_AXIS))
    series: int = 0  # how many value columns the chart draws (0: all)

    def table(self) -> list[list[tuple[Any, str | None]]]:
        """Rows of (value, link) cells: the label first, never linked."""
        return [[(row[0], None), *[(value, self._link(r, c)) for c, value in enumerate(row[1:])]]
                for r, row in enumerate(self.rows)]

    def _link(self, r: int, c: int) -> str | None:
        return self.links[r][c] if r < len(self.links) and c < len(self.links[r]) else None

    def chart(self) -> dict[str, Any]:
        return {"title": self.title, "kind": self.kind, "columns": self.columns,
                "rows": self.rows, "links": self.links, "series": self.series,
                "scales": {"y": {**self.y_axis, "stacked": self.kind == "stacked"},
                           "x": {"stacked": self.kind == "stacked"}}}


@dataclass(frozen=True)
class Headline:
    """One figure at the top of the dashboard: its words, its number and its cases."""

    label: str
    value: str
    detail: str
    link: str


def _cases(force: Force, scheme: str) -> QuerySet[Case]:
    qs = Case.objects.filter(force=force)
    return qs.filter(scheme=scheme) if scheme else qs


def _clocks(force: Force, scheme: str) -> QuerySet[CaseClock]:
    qs = CaseClock.objects.filter(force=force)
    return qs.filter(case__scheme=scheme) if scheme else qs


def _year(now: datetime) -> Period:
    months = last_months(now)
    return Period(months[0].first, months[-1].last)


def open_by_stage(force: Force, scheme: str = "") -> Figure:
    rows = (_cases(force, scheme).filter(status=CaseStatus.OPEN).values("stage")
            .annotate(n=Count("id")).order_by("stage"))
    return Figure("stages", "Open cases by stage", "bar", ("Stage", "Open cases"),
                  [(r["stage"] or "Not started", r["n"]) for r in rows],
                  note="Every open case, by the stage it is in now.",
                  links=[[cases_link(scheme, status=CaseStatus.OPEN,
                                     stage=r["stage"] or NOT_STARTED)] for r in rows])


def _clock_names(force: Force, scheme: str, rows: list[dict[str, Any]]) -> dict[tuple, str]:
    """(scheme, clock) -> the clock's label as its rows store it; with the scheme's short title
    when the figure shows clocks of several schemes (two schemes may both have an 'initial'
    clock, with different labels and limits)."""
    keys = {(r["case__scheme"], r["clock"]): r["label"] for r in rows}
    if scheme or len({key[0] for key in keys}) < 2:  # noqa: PLR2004 - several schemes
        return keys
    titles = scheme_titles(force.pk)
    return {key: f"{label} ({titles.get(key[0], key[0])})" for key, label in keys.items()}


def due_this_week(force: Force, now: datetime, scheme: str = "") -> Figure:
    week = Period(timezone.localdate(now), timezone.localdate(now) + timedelta(days=6))
    rows = list(_clocks(force, scheme).filter(clock_filter(DUE, now, week))
                .annotate(day=TruncDate("due_at")).values("day", "case__scheme", "clock")
                .annotate(n=Count("id"), label=Max("label")).order_by("day", "clock"))
    by_day: dict[Any, dict[tuple, int]] = {}
    for r in rows:
        by_day.setdefault(r["day"], {})[(r["case__scheme"], r["clock"])] = r["n"]
    labels = _clock_names(force, scheme, rows)
    clocks = sorted(labels)
    return Figure(
        "due", "Clocks falling due in the next 7 days", "stacked",
        ("Day", *[labels[c] for c in clocks]),
        [(f"{day:%a %-d %b}", *[counts.get(c, 0) for c in clocks])
         for day, counts in by_day.items()],
        note=f"Running clocks whose time limit falls {week.during()}, by day and clock.",
        links=[[cases_link(key[0], clocks=DUE, clock=key[1], **Period(day, day).query())
                for key in clocks] for day in by_day])


def breaches_per_month(force: Force, now: datetime, scheme: str = "") -> Figure:
    months = last_months(now)
    rows = (_clocks(force, scheme).filter(clock_filter(BREACHED, now, _year(now)))
            .annotate(month=TruncMonth("due_at")).values("month")
            .annotate(n=Count("id"), cases=Count("case_id", distinct=True)).order_by("month"))
    found = {(r["month"].year, r["month"].month): (r["n"], r["cases"]) for r in rows}
    counts = [found.get((m.first.year, m.first.month), (0, 0)) for m in months]
    return Figure(
        "breaches", "Breaches per month", "bar", ("Month", "Breaches", "Cases"),
        [(m.words(), n, c) for m, (n, c) in zip(months, counts, strict=True)],
        note=(f"Clocks that reached their time limit without being met, by the month the limit "
              f"passed, {_year(now).during()}."),
        links=[[cases_link(scheme, clocks=BREACHED, **m.query())] * 2 for m in months],
        series=1)


def met_rate(force: Force, now: datetime, scheme: str = "") -> Figure:
    year = _year(now)
    rows = list(_clocks(force, scheme).filter(clock_filter(STOPPED, now, year))
                .values("case__scheme", "clock")
                .annotate(total=Count("id"), met=Count("id", filter=Q(state=ClockState.MET)),
                          label=Max("label"))
                .order_by("case__scheme", "clock"))
    labels = _clock_names(force, scheme, rows)
    return Figure(
        "met", "Clocks met on time, by clock", "bar",
        ("Clock", "Met on time (%)", "Met on time", "Stopped"),
        [(labels[(r["case__scheme"], r["clock"])], round(100 * r["met"] / r["total"]),
          r["met"], r["total"]) for r in rows],
        note=(f"Of the clocks that stopped {year.during()}, the share that stopped within "
              "their time limit. Clocks still running past their limit are counted as "
              "overdue, not here."),
        links=[[cases_link(r["case__scheme"], clocks=state, clock=r["clock"], **year.query())
                for state in (STOPPED, MET, STOPPED)] for r in rows],
        y_axis=dict(PERCENT_AXIS), series=1)


def returns(force: Force, now: datetime, scheme: str = "") -> Figure:
    """Cases opened in the last 12 months per return category each scheme declares, counted
    by the category's declared rule (``webapp.cases.return_rules``, as the case list filters).
    Two queries: the versions first (each declares how its returns are counted), then every
    count at once."""
    year = _year(now)
    opened = _cases(force, scheme).filter(opened_at__gte=year.start, opened_at__lt=year.end)
    versions = (opened.order_by().values_list("scheme", "version_id").distinct()
                .order_by("version_id"))
    by_scheme: dict[str, list[int]] = {}
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    for process, version_id in versions:
        by_scheme.setdefault(process, []).append(version_id)
        declared = scheme_for(version_id)
        for category, label in declared.returns.items():
            labels[(process, category)] = (declared.short_title or declared.title, label)
    keys = list(labels)
    found = opened.aggregate(**{f"c{i}": Count("id", filter=counted(by_scheme[key[0]], key[1]))
                                for i, key in enumerate(keys)}) if keys else {}
    counts = {key: found[f"c{i}"] for i, key in enumerate(keys)}
    several = len(by_scheme) > 1
    query = {"opened_from": year.first.isoformat(), "opened_to": year.last.isoformat()}
    return Figure(
        "returns", "Returns", "bar", ("Return", "Cases"),
        [(f"{labels[key][0]}: {labels[key][1]}" if several else labels[key][1], n)
         for key, n in counts.items()],
        note=f"Cases opened {year.during()}, counted in each return its scheme declares.",
        links=[[cases_link(key[0], **query, counts=key[1])] for key in counts])


def open_at_risk(force: Force, limit: int = 50, scheme: str = "") -> list[tuple[Case, str]]:
    """Open cases carrying a risk marker, newest first, each with its markers' labels."""
    cases = (_cases(force, scheme).filter(status=CaseStatus.OPEN).exclude(risks=[])
             .only("reference", "stage", "opened_at", "risks", "version_id")
             .order_by("-opened_at", "-id")[:limit])
    return [(case, ", ".join(scheme_for(case.version_id).risk_label(name)
                             for name in case.risks)) for case in cases]


def headlines(force: Force, now: datetime, scheme: str = "") -> list[Headline]:
    """Open cases, cases overdue now, breaches and clocks met this month, cases at risk."""
    month = this_month(now)
    cases = _cases(force, scheme)
    clocks = _clocks(force, scheme)
    figures = cases.aggregate(
        open=Count("id", filter=Q(status=CaseStatus.OPEN)),
        at_risk=Count("id", filter=Q(status=CaseStatus.OPEN) & ~Q(risks=[])))
    overdue = clocks.filter(clock_filter(OVERDUE, now)).aggregate(
        clocks=Count("id"), cases=Count("case_id", distinct=True))
    breached = clocks.filter(clock_filter(BREACHED, now, month)).aggregate(
        clocks=Count("id"), cases=Count("case_id", distinct=True))
    stopped = clocks.filter(clock_filter(STOPPED, now, month)).aggregate(
        total=Count("id"), met=Count("id", filter=Q(state=ClockState.MET)))
    rate = (f"{round(100 * stopped['met'] / stopped['total'])}%" if stopped["total"]
            else "None stopped")
    return [
        Headline("Open cases", str(figures["open"]), "Cases not yet closed.",
                 cases_link(scheme, status=CaseStatus.OPEN)),
        Headline("Cases overdue now", str(overdue["cases"]),
                 f"Open cases with a clock running past its time limit "
                 f"({_clocks_words(overdue['clocks'])}).",
                 cases_link(scheme, clocks=OVERDUE)),
        Headline(f"Breaches {month.during()}", str(breached["clocks"]),
                 f"Clocks whose time limit passed {month.during()} without being met, in "
                 f"{_cases_words(breached['cases'])}.",
                 cases_link(scheme, clocks=BREACHED, **month.query())),
        Headline(f"Clocks met on time {month.during()}", rate,
                 f"{stopped['met']} of the {_clocks_words(stopped['total'])} that stopped "
                 f"{month.during()} stopped within their time limit.",
                 cases_link(scheme, clocks=STOPPED, **month.query())),
        Headline("Open cases at risk", str(figures["at_risk"]),
                 "Open cases carrying a risk marker.",
                 cases_link(scheme, status=CaseStatus.OPEN, risk="any")),
    ]


def _clocks_words(n: int) -> str:
    return f"{n} clock" if n == 1 else f"{n} clocks"


def _cases_words(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def figures(force: Force, now: datetime, scheme: str = "") -> list[Figure]:
    return [open_by_stage(force, scheme), due_this_week(force, now, scheme),
            breaches_per_month(force, now, scheme), met_rate(force, now, scheme),
            returns(force, now, scheme)]
