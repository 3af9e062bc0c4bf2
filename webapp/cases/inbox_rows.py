"""Rows for the inbox tables, prepared in one pass in Python.

Template tags per row (URL reversal, date filters, the time-left tag) were most of a list
page's time; a list of plain dicts renders several times faster. The rows' markup is
``row_templates/task_rows.html``, rendered with Jinja2 (``row_tables``, every value escaped
there): rendered by Django's template language, a row's twenty variables were most of My tasks'
and the Team queue's own Python work (docs/benchmarks.md, "Lists near the floor (session 9)").
The header stays in cases/_task_table.html.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import reverse
from django.utils import timezone

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
            "assign_url": f"{task_prefix}{task.pk}/assign/", "claim_all": None,
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

