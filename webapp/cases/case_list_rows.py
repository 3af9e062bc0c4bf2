"""The case list's table rows, as HTML made in one pass in Python.

Rendered by the template, 25 rows of a dozen variables each were about 60 % of the page's
Python calls (8,000 of 19,000; docs/benchmarks.md, "Lists near the floor (session 9)"): each
variable is looked up, localised and escaped through several layers. ``format_html`` escapes
every value as the template did; the markup is the template's, kept here whole.
``format_html`` itself costs a dozen calls a value (lazy-string checks, ``SafeString``
wrapping): each value is escaped here with ``html.escape`` (what Django's ``escape`` calls, the
same output) and the row marked safe once, as ``format_html`` does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from html import escape

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from webapp.cases.models import Case, CaseStatus
from webapp.cases.parties import shown_parties
from webapp.processes.registry import scheme_for

OUTSIDE = ('<tr class="govuk-table__row case-exists">\n      <td class="govuk-table__cell" '
           'colspan="7">A case exists that is outside your work. <a class="govuk-link" '
           'href="{}">Request access<span class="govuk-visually-hidden"> to this case</span>'
           "</a> (break-glass: you give a reason, it is logged and reviewed).</td>\n    </tr>")
ROW = ('<tr class="govuk-table__row">\n'
       '      <td class="govuk-table__cell" data-label="Reference"><a class="govuk-link" '
       'href="{}">{}</a>{}</td>\n'
       '      <td class="govuk-table__cell" data-label="Scheme">{}</td>\n'
       '      <td class="govuk-table__cell" data-label="Opened">{}</td>\n'
       '      <td class="govuk-table__cell" data-label="Status">{}</td>\n'
       '      <td class="govuk-table__cell" data-label="Stage">{}</td>\n'
       '      <td class="govuk-table__cell" data-label="People">{}</td>\n'
       '      <td class="govuk-table__cell" data-label="Outcome">{}</td>\n'
       "    </tr>")
RISK = ' <strong class="flag flag--risk">{}</strong>'
HIDDEN = '<span class="hint">{}: not shown to your role</span><br>'
NAMES = "{}: {}<br>"
STATUS_WORDS = dict(CaseStatus.choices)  # get_status_display() is a dozen calls a row


def outside_row(href: str) -> SafeString:
    """A case outside the user's relationships: only that it exists, and the break-glass route."""
    return format_html(OUTSIDE, href)


def case_row(case: Case, roles: Collection[str], href: str,
             scheme_titles: Mapping[str, str]) -> SafeString:
    """A case as the list shows it: reference (and risk markers), scheme, opened, status,
    stage, the parties with names (or hidden from ``roles``), outcome."""
    scheme = scheme_for(case.version_id)
    risks = ", ".join(scheme.risk_label(name) for name in case.risks)
    people = "".join(HIDDEN.format(escape(party.label)) if party.hidden
                     else NAMES.format(escape(party.label), escape(party.text))
                     for party in shown_parties(scheme, case.parties, roles)
                     if party.hidden or party.names)
    return mark_safe(ROW.format(  # noqa: S308 - every value escaped above or here
        escape(href), escape(case.reference), RISK.format(escape(risks)) if risks else "",
        escape(scheme_titles.get(case.scheme, "")),
        escape(timezone.localtime(case.opened_at).strftime("%-d %b %Y")),
        escape(str(STATUS_WORDS.get(case.status, case.status))), escape(case.stage), people,
        escape(", ".join(scheme.outcome_label(code) for code in case.outcome_codes))))
