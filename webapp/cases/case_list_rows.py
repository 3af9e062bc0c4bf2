"""The case list's table rows: each case's cells as plain values, made in one pass, for
``row_templates/case_rows.html`` (rendered with Jinja2, every value escaped there:
``row_tables``). Rendered by Django's template language, 25 rows of a dozen variables each were
about 60 % of the page's Python calls (docs/benchmarks.md, "Lists near the floor (session 9)").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.utils import timezone

from webapp.cases.models import Case, CaseStatus
from webapp.cases.parties import shown_parties
from webapp.processes.registry import scheme_for

STATUS_WORDS = dict(CaseStatus.choices)  # get_status_display() is a dozen calls a row


def outside_cells(href: str) -> dict[str, Any]:
    """A case outside the user's relationships: only that it exists, and the break-glass route."""
    return {"outside": True, "href": href}


def case_cells(case: Case, roles: Collection[str], href: str,
               scheme_titles: Mapping[str, str]) -> dict[str, Any]:
    """A case as the list shows it: reference (and risk markers), scheme, opened, status,
    stage, the parties with names (or hidden from ``roles``), outcome."""
    scheme = scheme_for(case.version_id)
    return {
        "outside": False, "href": href, "reference": case.reference,
        "risks": ", ".join(scheme.risk_label(name) for name in case.risks),
        "scheme": scheme_titles.get(case.scheme, ""),
        "opened": timezone.localtime(case.opened_at).strftime("%-d %b %Y"),
        "status": str(STATUS_WORDS.get(case.status, case.status)), "stage": case.stage,
        "people": [party for party in shown_parties(scheme, case.parties, roles)
                   if party.hidden or party.names],
        "outcome": ", ".join(scheme.outcome_label(code) for code in case.outcome_codes),
    }
