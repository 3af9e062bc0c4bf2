"""Which cases a return category counts, and which met their whole-case time limit, as query
filters: the returns page counts with them and the case list filters with them, so a figure and
the cases it opens always agree. Each case is judged by its own version's declarations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery

from engine.scheme import Scheme
from engine.scheme_returns import ReturnRule
from webapp.cases.models import CaseEvent, CaseStatus, EventKind
from webapp.clocks.models import CaseClock, ClockState
from webapp.processes.registry import scheme_for

NOTHING = Q(pk__in=[])
WITHIN, AFTER = "within", "after"  # completed within / after the whole-case time limit
LIMIT_STATES = {WITHIN: ClockState.MET, AFTER: ClockState.BREACHED}


def _any_code(codes: Iterable[str]) -> Q:
    """Cases whose outcome codes hold one of ``codes`` (the stored list as JSON text holds the
    quoted code, on any database)."""
    found = NOTHING
    for code in codes:
        found |= Q(outcome_codes__icontains=f'"{code}"')
    return found


def _answered(field: str, equals: Any) -> Q:
    """Cases whose latest recorded answer to ``field`` (a dotted path) equals ``equals``: the
    answers each step recorded are on its case event."""
    path = field.replace(".", "__")
    head = field.partition(".")[0]
    latest = (CaseEvent.objects.filter(case_id=OuterRef(OuterRef("pk")),
                                       kind__in=(EventKind.STARTED, EventKind.COMPLETED),
                                       data__has_key=head)
              .order_by("-at", "-pk").values("pk")[:1])
    return Q(Exists(CaseEvent.objects.filter(pk=Subquery(latest), **{f"data__{path}": equals})))


def _conditions(rule: ReturnRule) -> Q:
    if rule.every:
        return Q()
    found = Q()
    if rule.outcomes:
        found &= _any_code(rule.outcomes)
    if rule.answer:
        found &= _answered(rule.answer, rule.equals)
    return found


def rule_filter(scheme: Scheme, rule: ReturnRule) -> Q:
    """The cases of one version that ``rule`` counts (its date aside, but a rule counted by
    the closing date counts closed cases only)."""
    found = Q(status=CaseStatus.CLOSED) if rule.closed_only else Q()
    found &= _conditions(rule)
    for name in rule.also:
        other = scheme.return_rule(name)
        found &= _conditions(other) if other is not None else NOTHING
    if not rule.every and not (rule.outcomes or rule.answer or rule.also):
        return NOTHING
    return found


def counted(version_ids: Iterable[int], category: str) -> Q:
    """The cases of these versions that the return ``category`` counts."""
    found = NOTHING
    for version_id in version_ids:
        scheme = scheme_for(version_id)
        rule = scheme.return_rule(category)
        if rule is not None:
            found |= Q(version_id=version_id) & rule_filter(scheme, rule)
    return found


def within_limit(version_ids: Iterable[int], which: str) -> Q:
    """Cases whose whole-case clock stopped met (``within``) or breached (``after``)."""
    state = LIMIT_STATES.get(which)
    found = NOTHING
    if state is None:
        return found
    for version_id in version_ids:
        clock = scheme_for(version_id).whole_case_clock()
        if clock is not None:
            rows = CaseClock.objects.filter(case_id=OuterRef("pk"), clock=clock.name,
                                            state=state)
            found |= Q(version_id=version_id) & Q(Exists(rows))
    return found
