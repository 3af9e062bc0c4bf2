"""Rows for the inbox tables, prepared in one pass in Python.

Template tags per row (URL reversal, date filters, the time-left tag) were most of a list
page's time; a list of plain dicts renders several times faster. The table's rows are then
made as HTML here too (``row_html``): rendered by the template, a row's twenty variables were
most of My tasks' and the Team queue's own Python work (docs/benchmarks.md, "Lists near the
floor (session 9)"). Every value is escaped with ``html.escape`` (what Django's ``escape``
calls) and the row marked safe once, as ``format_html`` does; the header stays in
cases/_task_table.html.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from webapp.cases.models import HumanTask
from webapp.cases.templatetags.inbox import time_left_at
from webapp.processes.registry import scheme_for


def _prefix(name: str) -> str:
    return reverse(name, args=["0"]).removesuffix("0/")


def task_rows(tasks: Iterable[HumanTask],
              schemes: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``schemes``: process id -> the short title shown in the scheme column."""
    schemes = schemes or {}
    now = timezone.now()
    case_prefix, task_prefix = _prefix("cases:case"), _prefix("cases:task")
    rows = []
    tasks_list = list(tasks)
    for task in tasks_list:
        left = time_left_at(task.due_at, now)
        due = timezone.localtime(task.due_at).strftime("%-d %b %Y, %H:%M") if task.due_at else ""
        rows.append({
            "id": task.pk, "name": task.name, "reference": task.case.reference,
            "scheme": schemes.get(task.case.scheme, task.case.scheme),
            "stage": task.stage or task.case.stage, "due_state": left["state"],
            "due_text": left["text"], "due": due,
            "received": timezone.localtime(task.created_at).strftime("%-d %b %Y, %H:%M"),
            "case_url": f"{case_prefix}{task.case.reference}/",
            "task_url": f"{task_prefix}{task.pk}/", "claim_url": f"{task_prefix}{task.pk}/claim/",
            "assign_url": f"{task_prefix}{task.pk}/assign/",
            "risk": ", ".join(scheme_for(task.case.version_id).risk_label(name)
                              for name in task.case.risks) if task.case.risks else "",
        })
    # parallel tasks of one case on the page (such as its checks) can be claimed together:
    # the case's first row offers it
    per_case = Counter(row["reference"] for row in rows)
    offered: set[str] = set()
    for task, row in zip(tasks_list, rows, strict=True):
        if per_case[row["reference"]] > 1 and row["reference"] not in offered:
            offered.add(row["reference"])
            row["claim_all"] = (per_case[row["reference"]], f"{task_prefix}{task.pk}/claim-all/")
    return rows


SELECT = ('<td class="govuk-table__cell table__action"><div class="govuk-checkboxes '
          'govuk-checkboxes--small" data-module="govuk-checkboxes"><div '
          'class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" '
          'id="select-{id}" name="task" type="checkbox" value="{id}" form="bulk-form"><label '
          'class="govuk-label govuk-checkboxes__label" for="select-{id}"><span '
          'class="govuk-visually-hidden">Select {name} on {reference}</span></label></div></div>'
          "</td>")
CELLS = ('<td class="govuk-table__cell" data-label="Due"><span class="due due--{due_state}">'
         "{due_text}</span>{due}</td>\n"
         '      <td class="govuk-table__cell" data-label="Received">{received}</td>\n'
         '      <td class="govuk-table__cell" data-label="Case"><a class="govuk-link" '
         'href="{case_url}">{reference}</a>{risk}</td>\n'
         '      <td class="govuk-table__cell" data-label="Scheme">{scheme}</td>\n'
         '      <td class="govuk-table__cell" data-label="Stage">{stage}</td>\n'
         '      <td class="govuk-table__cell" data-label="Task">{task}</td>\n')
DUE = '<br><span class="hint">{}</span>'
RISK = ' <strong class="flag flag--risk">{}</strong>'
TASK_LINK = '<a class="govuk-link" href="{}">{}</a>'
CLAIM = ('<td class="govuk-table__cell table__action"><form method="post" action="{claim_url}">'
         '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"><button type="submit" '
         'class="govuk-button button--small" data-module="govuk-button">Claim<span '
         'class="govuk-visually-hidden"> {name} on {reference}</span></button></form>'
         "{claim_all}</td>")
CLAIM_ALL = ('<form method="post" action="{url}"><input type="hidden" '
             'name="csrfmiddlewaretoken" value="{csrf}"><button type="submit" class="govuk-button '
             'govuk-button--secondary button--small" data-module="govuk-button">Claim all {count}'
             '<span class="govuk-visually-hidden"> tasks of {reference}</span></button></form>')
REASSIGN = ('<td class="govuk-table__cell table__action"><a class="govuk-link" '
            'href="{url}">Reassign<span class="govuk-visually-hidden"> {name} on {reference}'
            "</span></a></td>")


def row_html(row: Mapping[str, Any], *, select: bool = False, claim: bool = False,
             reassign: bool = False, csrf_token: str = "") -> SafeString:
    """One ``task_rows`` row as the task table's ``<tr>``: with a tick box (``select``), the
    Claim buttons (``claim``; ``csrf_token`` for their forms) or a Reassign link."""
    name, reference = escape(row["name"]), escape(row["reference"])
    csrf = escape(csrf_token)
    cells = CELLS.format(
        due_state=escape(row["due_state"]), due_text=escape(row["due_text"]),
        due=DUE.format(escape(row["due"])) if row["due"] else "",
        received=escape(row["received"]), case_url=escape(row["case_url"]), reference=reference,
        risk=RISK.format(escape(row["risk"])) if row["risk"] else "",
        scheme=escape(str(row["scheme"])), stage=escape(row["stage"]),
        task=name if claim else TASK_LINK.format(escape(row["task_url"]), name))
    action = ""
    if claim:
        together = row.get("claim_all")
        action = CLAIM.format(
            claim_url=escape(row["claim_url"]), csrf=csrf, name=name, reference=reference,
            claim_all=CLAIM_ALL.format(url=escape(together[1]), csrf=csrf, count=together[0],
                                       reference=reference) if together else "")
    elif reassign:
        action = REASSIGN.format(url=escape(row["assign_url"]), name=name, reference=reference)
    ticked = SELECT.format(id=row["id"], name=name, reference=reference) if select else ""
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<tr class="govuk-table__row">\n      {ticked}\n      {cells}      {action}\n    </tr>')
