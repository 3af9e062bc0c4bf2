"""The case list's filters: those its search form offers, and those the dashboard's and the
returns' figures link to (clock state in a period, risk, opening or closing date, return
category, completed within the time limit). The filter is applied
on top of need-to-know, so a link never shows a case the user could not otherwise see."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from webapp.cases.element_rows import (
    ElementScope,
    breached_clocks,
    completed_at_element,
    open_at_breach,
)
from webapp.cases.models import Case, HumanTask
from webapp.cases.return_rules import LIMIT_STATES, WITHIN, counted, within_limit
from webapp.clocks.models import CaseClock
from webapp.clocks.periods import NEEDS_PERIOD, STATE_WORDS, Period, clock_filter, parse_period
from webapp.processes.deployments import scheme_choices

ANY_RISK = "any"
# The heatmap's links: cases whose task at an element was completed in the period, or whose
# clock breached in the period while they were at it (``webapp.cases.element_rows``).
ELEMENT_PASSED, ELEMENT_BREACHED = "passed", "breached"


# The stage filter's value for cases not yet in any stage (a stage is a call activity's name;
# brackets keep this apart from any name a diagram is likely to use).
NOT_STARTED = "(not started)"


@dataclass(frozen=True)
class CaseQuery:
    """What the case list shows; the fields after ``scheme`` come from the dashboard's links."""

    text: str = ""
    status: str = ""
    stage: str = ""
    scheme: str = ""
    clocks: str = ""  # a clock state (webapp.clocks.periods): overdue, due, breached, ...
    clock: str = ""  # one clock by name, or any
    period: Period | None = None  # the period of the clock state
    risk: str = ""  # a declared risk marker by name, or "any"
    opened: Period | None = None  # cases opened in this period
    counts: str = ""  # counted in this return category (as each case's version declares it)
    closed: Period | None = None  # cases closed (completed) in this period
    limit: str = ""  # completed within or after the whole-case time limit
    element: str = ""  # a diagram element's id (the heatmap's links), with element_in
    element_in: str = ""  # ELEMENT_PASSED or ELEMENT_BREACHED, in ``period``
    version: int | None = None  # cases now on this process version

    @classmethod
    def from_get(cls, get: Any, scheme: str = "") -> CaseQuery:
        clocks = get.get("clocks", "")
        return cls(
            text=get.get("q", "")[:100], status=get.get("status", "")[:10],
            stage=get.get("stage", "")[:100], scheme=scheme,
            clocks=clocks if clocks in STATE_WORDS else "", clock=get.get("clock", "")[:20],
            period=parse_period(get.get("from", ""), get.get("to", "")),
            risk=get.get("risk", "")[:50],
            opened=parse_period(get.get("opened_from", ""), get.get("opened_to", "")),
            counts=get.get("counts", "")[:50],
            closed=parse_period(get.get("closed_from", ""), get.get("closed_to", "")),
            limit=get.get("limit", "") if get.get("limit", "") in LIMIT_STATES else "",
            element=get.get("element", "")[:100],
            element_in=_element_in(get.get("element_in", "")),
            version=_number(get.get("version", "")))

    def link_query(self) -> dict[str, str]:
        """The query string of the dashboard's filters in effect (kept by the search form and
        the page links)."""
        query: dict[str, str] = {}
        if self.clocks:
            query["clocks"] = self.clocks
            if self.clock:
                query["clock"] = self.clock
            if self.period and self.clocks in NEEDS_PERIOD:
                query.update(self.period.query())
        if self.risk:
            query["risk"] = self.risk
        if self.opened:
            query.update({"opened_from": self.opened.first.isoformat(),
                          "opened_to": self.opened.last.isoformat()})
        if self.counts:
            query["counts"] = self.counts
        if self.closed:
            query.update({"closed_from": self.closed.first.isoformat(),
                          "closed_to": self.closed.last.isoformat()})
        if self.limit:
            query["limit"] = self.limit
        if self._by_element():
            query.update({"element": self.element, "element_in": self.element_in,
                          "version": str(self.version), **self.period.query()})
        return query

    def _by_element(self) -> bool:
        return bool(self.element and self.element_in and self.version and self.period)

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def apply(self, qs: QuerySet[Case], now: datetime) -> QuerySet[Case]:
        if self.status:
            qs = qs.filter(status=self.status)
        if self.stage:
            qs = qs.filter(stage="" if self.stage == NOT_STARTED else self.stage)
        if self.scheme:
            qs = qs.filter(scheme=self.scheme)
        if self.clocks:
            rows = CaseClock.objects.filter(clock_filter(self.clocks, now, self.period,
                                                         self.clock), case_id=OuterRef("pk"))
            qs = qs.filter(Exists(rows))
        if self.risk == ANY_RISK:
            qs = qs.exclude(risks=[])
        elif self.risk:  # the stored list as JSON text holds the quoted name (any database)
            qs = qs.filter(risks__icontains=f'"{self.risk}"')
        if self.opened:
            qs = qs.filter(opened_at__gte=self.opened.start, opened_at__lt=self.opened.end)
        if self.closed:
            qs = qs.filter(closed_at__gte=self.closed.start, closed_at__lt=self.closed.end)
        if self.counts or self.limit:
            qs = self._by_return_rules(qs)
        if self._by_element():
            qs = qs.filter(self._at_element(now))
        return qs

    def _by_return_rules(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        """The return category and time-limit filters; one read of the versions serves both."""
        versions = self._versions(qs)
        if self.counts:
            qs = qs.filter(counted(versions, self.counts))
        if self.limit:
            qs = qs.filter(within_limit(versions, self.limit))
        return qs

    @staticmethod
    def _versions(qs: QuerySet[Case]) -> list[int]:
        """The versions of the cases in question (each declares its own returns and clocks)."""
        return list(qs.order_by().values_list("version_id", flat=True).distinct())

    def _at_element(self, now: datetime) -> Q:
        """Cases behind one of the heatmap's figures (the same rows it counts)."""
        assert self.version is not None and self.period is not None  # noqa: S101 - checked
        scope = ElementScope(None, self.version, self.period)  # the list scopes the force
        if self.element_in == ELEMENT_BREACHED:
            rows = breached_clocks(scope, now).filter(
                Exists(HumanTask.objects.filter(open_at_breach(breach=OuterRef("due_at")),
                                                case_id=OuterRef("case_id"),
                                                bpmn_id=self.element)))
        else:
            rows = completed_at_element(scope).filter(bpmn_id=self.element)
        return Q(Exists(rows.filter(case_id=OuterRef("pk"))))

    def words(self, force_id: int) -> list[str]:
        """The dashboard filters in effect, as a sentence each."""
        said: list[str] = []
        if self.clocks:
            what = f"the {self._clock_label(force_id)} clock" if self.clock else "a clock"
            when = (f" {self.period.during()}"
                    if self.period and self.clocks in NEEDS_PERIOD else "")
            said.append(f"With {what} {STATE_WORDS[self.clocks]}{when}")
        if self.risk:
            said.append("At risk" if self.risk == ANY_RISK
                        else f"Marked: {self._risk_label(force_id)}")
        if self.opened:
            said.append(f"Opened {self.opened.during()}")
        if self.closed:
            said.append(f"Completed {self.closed.during()}")
        if self.counts:
            said.append(f"Counted as {self._return_label(force_id)}")
        if self.limit:
            said.append("Completed within the time limit" if self.limit == WITHIN
                        else "Completed after the time limit")
        if self._by_element():
            said.append(self._element_words(force_id))
        return said

    def _element_words(self, force_id: int) -> str:
        name = (HumanTask.objects.filter(force_id=force_id, bpmn_id=self.element)
                .values_list("name", flat=True).first()) or "a step"
        assert self.period is not None  # noqa: S101 - _by_element checked it
        if self.element_in == ELEMENT_BREACHED:
            return (f"With a clock breached {self.period.during()} while the case was at "
                    f"‘{name}’")
        return f"With ‘{name}’ completed {self.period.during()}"

    def _clock_label(self, force_id: int) -> str:
        label = (CaseClock.objects.filter(force_id=force_id, clock=self.clock)
                 .values_list("label", flat=True).first())
        return label or "named"

    def _risk_label(self, force_id: int) -> str:
        for _, declared in scheme_choices(force_id):
            if any(m.name == self.risk for m in declared.risk_markers):
                return declared.risk_label(self.risk)
        return "a risk marker"

    def _return_label(self, force_id: int) -> str:
        for _, declared in scheme_choices(force_id):
            if self.counts in declared.returns:
                return declared.returns[self.counts].lower()
        return "a return"


def _element_in(value: str) -> str:
    return value if value in (ELEMENT_PASSED, ELEMENT_BREACHED) else ""


def _number(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 10 else None  # noqa: PLR2004
