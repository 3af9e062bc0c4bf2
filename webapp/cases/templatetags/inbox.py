"""Template helpers for the pages: time left against a clock, durations in words, roles and
officers by name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from webapp.cases.case_words import display_name, role_name
from webapp.cases.instruction_words import readable_instructions
from webapp.cases.labelled import reviewed_clock as _reviewed_clock
from webapp.clocks.durations import UNITS, duration_words
from webapp.clocks.models import CaseClock
from webapp.processes.registry import definition_for_id

register = template.Library()

HOUR = 3600
DAY = 24 * HOUR


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 2 * DAY:
        return f"{int(seconds // DAY)} days"
    if seconds >= HOUR:
        hours = int(seconds // HOUR)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, int(seconds // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def time_left_at(due: datetime | None, now: datetime) -> dict[str, str]:
    """State (overdue / today / soon / ok / none) and words for a due time."""
    if due is None:
        return {"state": "none", "text": "No time limit"}
    left = (due - now).total_seconds()
    if left < 0:
        return {"state": "overdue", "text": f"Overdue by {_span(left)}"}
    local_due, local_now = timezone.localtime(due), timezone.localtime(now)
    if local_due.date() == local_now.date():
        return {"state": "today", "text": f"Due today ({_span(left)} left)"}
    state = "soon" if left < 2 * DAY else "ok"
    return {"state": state, "text": f"{_span(left)} left"}


@register.simple_tag
def time_left(due: datetime | None) -> dict[str, str]:
    return time_left_at(due, timezone.now())


@register.simple_tag
def clock_now(due: datetime | None, stopped: datetime | None = None,
              paused: datetime | None = None) -> dict[str, str]:
    """The state a clock is really in now, in words: met, breached, paused, or time left."""
    if stopped is not None:
        if due is not None and stopped > due:
            return {"state": "overdue", "text": "Breached"}
        return {"state": "met", "text": "Met"}
    if paused is not None:
        return {"state": "none", "text": "Paused"}
    return time_left_at(due, timezone.now())


@register.filter
def duration(iso: str) -> str:
    """An ISO 8601 duration in words: ``PT24H`` -> "24 hours"."""
    return duration_words(str(iso or ""))


@register.filter
def role_names(roles: str | Iterable[str]) -> str:
    """Role ids (a list, or joined with commas as the access log keeps them) by their names."""
    ids = roles.split(",") if isinstance(roles, str) else list(roles or ())
    return ", ".join(role_name(r.strip()) for r in ids if r.strip())


@register.filter
def person(user: Any) -> str:
    """How a page names an officer: their full name, else their username."""
    return display_name(user)


@register.simple_tag
def extension_units() -> list[tuple[str, str]]:
    """The units an extension is entered in: (form value, label)."""
    return [(value, label) for value, (label, _iso) in UNITS.items()]


@register.filter
def readable(instructions: str, case: Any) -> str:
    """A task's rendered instructions in words: choice labels, durations, no empty parts."""
    definition = definition_for_id(case.version_id) if case is not None else None
    return readable_instructions(str(instructions or ""), definition)


@register.simple_tag
def reviewed_clock(task: Any) -> Any:
    """The case's clock row a breach-review task reviews (None for other tasks)."""
    name = _reviewed_clock(definition_for_id(task.case.version_id), task.bpmn_id)
    return CaseClock.objects.filter(case_id=task.case_id, clock=name).first() if name else None


@register.filter
def answer_rows(rows: Iterable[Any]) -> str:
    """Recorded answers (``labelled_rows``) as a description list, groups and repeated groups
    nested: made here rather than by a template included once per group (the case page shows
    every form a case recorded; the includes were a third of its rendering)."""
    def listed(shown: Iterable[Any]) -> str:
        parts = ['<dl class="data">']
        for row in shown:
            parts.append(f"<div><dt>{conditional_escape(row['label'])}</dt><dd>")
            if row.get("rows"):
                parts.append(listed(row["rows"]))
            elif row.get("repeat"):
                items = "".join(f"<li>{listed(item)}</li>" for item in row["repeat"])
                parts.append(f'<ol class="data-list">{items}</ol>')
            else:
                parts.append(f'<span class="pre-line">{conditional_escape(row["text"])}</span>')
            parts.append("</dd></div>")
        parts.append("</dl>\n")  # as the template it replaces ended
        return "".join(parts)
    return mark_safe(listed(rows or ()))  # noqa: S308 - every value escaped above
