"""Template helpers for the inbox: time left against a clock."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

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
