"""The returns forces make (the Home Office Annual Data Requirement, the DVDS figures) and their
timeliness, for any period: per force, or every force and a total for a national
administrator.

What each return counts is declared per scheme (``returns`` in scheme.json); the counts use
the same filters as the case list (``webapp.cases.return_rules`` through ``CaseQuery``), so each
number opens exactly the cases behind it. Only the user's own force's numbers are linked:
forces never see each other's cases.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.utils import timezone

from engine.scheme_returns import CLOSED, ReturnRule
from webapp.cases.case_filters import CaseQuery
from webapp.cases.models import Case, CaseStatus
from webapp.cases.return_rules import AFTER, WITHIN
from webapp.clocks.periods import Period
from webapp.forces.models import Force, SchemeDeployment
from webapp.processes.registry import scheme_for
from webapp.reports.selectors import COUNT_AXIS, PERCENT_AXIS, Figure, cases_link

ALL_FORCES = "All forces"
APRIL = 4


def last_financial_year(today: date) -> Period:
    """The last whole financial year (April to March) before ``today``: the Annual Data
    Requirement's year."""
    end_year = today.year if today.month >= APRIL else today.year - 1
    return Period(date(end_year - 1, APRIL, 1), date(end_year, APRIL - 1, 31))


@dataclass(frozen=True)
class Scope:
    """Whose figures: the forces shown (one, or every force for a national view) and the force
    whose cases the user may open from them (None: none)."""

    forces: tuple[Force, ...]
    own_force_id: int | None
    national: bool = False


@dataclass(frozen=True)
class SchemeReturns:
    scheme: str
    title: str
    counts: Figure
    timeliness: Figure

    @property
    def figures(self) -> tuple[Figure, Figure]:
        return self.counts, self.timeliness


def schemes_in(scope: Scope) -> dict[str, str]:
    """Process id -> short title of the schemes the forces run, in process id order."""
    rows = (SchemeDeployment.objects.filter(force__in=scope.forces)
            .order_by("scheme", "-active_version_id").values_list("scheme", "active_version_id"))
    titles: dict[str, str] = {}
    for process, version_id in rows:
        if process not in titles:
            declared = scheme_for(version_id)
            titles[process] = declared.short_title or declared.title or process
    return titles


def _scheme_cases(scope: Scope, scheme: str) -> QuerySet[Case]:
    return Case.objects.filter(force__in=scope.forces, scheme=scheme)


def _rules(scope: Scope, scheme: str) -> dict[str, ReturnRule]:
    """The scheme's return categories, newest version's first (an older version's category a
    newer one dropped still counts its cases)."""
    versions = set(_scheme_cases(scope, scheme).order_by().values_list("version_id", flat=True)
                   .distinct())
    versions.update(SchemeDeployment.objects.filter(force__in=scope.forces, scheme=scheme)
                    .values_list("active_version_id", flat=True))
    rules: dict[str, ReturnRule] = {}
    for version_id in sorted(versions, reverse=True):
        for key, rule in scheme_for(version_id).return_rules.items():
            rules.setdefault(key, rule)
    return rules


def _date_query(rule: ReturnRule, period: Period) -> CaseQuery:
    if rule.date == CLOSED:
        return CaseQuery(closed=period, counts=rule.key)
    return CaseQuery(opened=period, counts=rule.key)


def _per_force(qs: QuerySet[Case]) -> dict[int, int]:
    return dict(qs.order_by().values_list("force_id").annotate(n=Count("id")))


def _link(scope: Scope, force: Force | None, scheme: str, query: CaseQuery) -> str | None:
    if force is None or force.pk != scope.own_force_id:
        return None
    return cases_link(scheme, **query.link_query())


def _rows_for(scope: Scope) -> list[Force | None]:
    """A row per force, and the total (None) in a national view."""
    return [*scope.forces, None] if scope.national else list(scope.forces)


def return_counts(scope: Scope, scheme: str, period: Period, now_title: str) -> Figure:
    """Each declared return category's count in the period, per force (a national view: a
    column per category, a row per force and the total)."""
    rules = _rules(scope, scheme)
    queries = {key: _date_query(rule, period) for key, rule in rules.items()}
    now = timezone.now()
    counts = {key: _per_force(q.apply(_scheme_cases(scope, scheme), now))
              for key, q in queries.items()}
    note = _date_words(rules, period)
    if not scope.national:
        force = scope.forces[0]
        return Figure(f"returns-{scheme}", f"{now_title}: returns", "bar", ("Return", "Cases"),
                      [(rule.label, counts[key].get(force.pk, 0)) for key, rule in rules.items()],
                      note=note, links=[[_link(scope, force, scheme, queries[key])]
                                        for key in rules])
    rows, links = [], []
    for force in _rows_for(scope):
        values = [sum(c.values()) if force is None else c.get(force.pk, 0)
                  for c in counts.values()]
        rows.append((force.name if force else ALL_FORCES, *values))
        links.append([_link(scope, force, scheme, queries[key]) for key in rules])
    return Figure(f"returns-{scheme}", f"{now_title}: returns", "bar",
                  ("Force", *[rule.label for rule in rules.values()]), rows,
                  note=note + " Each force opens its own cases from its row.", links=links,
                  y_axis=dict(COUNT_AXIS))


def _date_words(rules: dict[str, ReturnRule], period: Period) -> str:
    """Which date puts a case in each return, in words."""
    received = [r.label for r in rules.values() if r.date != CLOSED]
    closed = [r.label for r in rules.values() if r.date == CLOSED]
    said = []
    if received:
        said.append(f"Counted by the date received, {period.during()}: {'; '.join(received)}.")
    if closed:
        said.append(f"Counted by the date closed, {period.during()}: {'; '.join(closed)}.")
    return " ".join(said)


def _days(values: Sequence[float]) -> tuple[float | str, float | str]:
    """The median and the 90th percentile, in days to one decimal ('' when none)."""
    if not values:
        return "", ""
    ordered = sorted(values)
    ninetieth = (statistics.quantiles(ordered, n=10, method="inclusive")[-1]
                 if len(ordered) > 1 else ordered[0])
    return round(statistics.median(ordered), 1), round(ninetieth, 1)


def timeliness(scope: Scope, scheme: str, period: Period, now_title: str,
               limit_label: str) -> Figure:
    """Cases completed (closed) in the period: days from received to closed (median, 90th
    percentile) and how many closed within and after the whole-case time limit."""
    now = timezone.now()
    completed = CaseQuery(closed=period)
    cases = completed.apply(_scheme_cases(scope, scheme).filter(status=CaseStatus.CLOSED), now)
    days: dict[int, list[float]] = {}
    for force_id, opened, closed in cases.values_list("force_id", "opened_at", "closed_at"):
        days.setdefault(force_id, []).append((closed - opened).total_seconds() / 86400)
    within_q, after_q = (CaseQuery(closed=period, limit=WITHIN),
                         CaseQuery(closed=period, limit=AFTER))
    base = _scheme_cases(scope, scheme)
    within, after = _per_force(within_q.apply(base, now)), _per_force(after_q.apply(base, now))
    rows, links = [], []
    for force in _rows_for(scope):
        def pick(found: dict[int, int], force: Force | None = force) -> int:
            return sum(found.values()) if force is None else found.get(force.pk, 0)
        spent = ([d for ds in days.values() for d in ds] if force is None
                 else days.get(force.pk, []))
        met, missed = pick(within), pick(after)
        share = round(100 * met / (met + missed)) if met + missed else ""
        rows.append((force.name if force else ALL_FORCES, share, len(spent), *_days(spent),
                     met, missed))
        everything = _link(scope, force, scheme, completed)
        links.append([_link(scope, force, scheme, within_q), everything, everything, everything,
                      _link(scope, force, scheme, within_q), _link(scope, force, scheme, after_q)])
    return Figure(
        f"timeliness-{scheme}", f"{now_title}: timeliness", "bar",
        ("Force", "Within the time limit (%)", "Cases completed", "Median days to complete",
         "90th percentile (days)", "Within the time limit", "After the time limit"),
        rows, links=links, y_axis=dict(PERCENT_AXIS), series=1,
        note=(f"Cases closed {period.during()}: days from receipt to closing, and whether the "
              f"{limit_label.lower()} time limit (with its pauses and extensions) was met. "
              "Cases withdrawn before the limit, or without that limit, are in neither "
              "count."))


def _limit_label(scope: Scope, scheme: str) -> str:
    """The name of the clock that times the whole case, as the newest deployed version says."""
    versions = (SchemeDeployment.objects.filter(force__in=scope.forces, scheme=scheme)
                .order_by("-active_version_id").values_list("active_version_id", flat=True))
    for version_id in versions:
        clock = scheme_for(version_id).whole_case_clock()
        if clock is not None:
            return clock.label
    return "overall"


def scheme_returns(scope: Scope, period: Period, scheme: str = "") -> list[SchemeReturns]:
    """Each scheme's returns and timeliness (of one scheme if named)."""
    return [SchemeReturns(key, title, return_counts(scope, key, period, title),
                          timeliness(scope, key, period, title, _limit_label(scope, key)))
            for key, title in schemes_in(scope).items() if not scheme or key == scheme]
