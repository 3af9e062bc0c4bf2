"""The what-if form: months of history, officers per role and working hours, read from a post
with a message beside each field a person can act on, and the results put in plain words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.whatif import Result
from engine.working_hours import DAY_NAMES, OFFICE_HOURS, WorkingHours
from webapp.forces.models import Role

MONTHS = (3, 6, 12)
MAX_OFFICERS = 500
_TIME = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")


def role_label(role: str) -> str:
    return dict(Role.choices).get(role, "Another role")


@dataclass
class Choices:
    """What the policy lead chose (as typed, so the form shows it again) and its errors."""

    months: str = "12"
    staffing: dict[str, str] = field(default_factory=dict)
    days: list[str] = field(default_factory=lambda: [str(d) for d in sorted(OFFICE_HOURS.days)])
    start: str = "08:00"
    end: str = "18:00"
    errors: dict[str, str] = field(default_factory=dict)  # field id -> message

    def hours(self) -> WorkingHours:
        """The working hours chosen (only called once ``read`` found no error)."""
        return WorkingHours(frozenset(int(d) for d in self.days), _minutes(self.start) or 0,
                            _minutes(self.end) or 0)

    def officers(self) -> dict[str, int]:
        return {role: int(value) for role, value in self.staffing.items()}


def _minutes(text: str) -> int | None:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    minutes = int(match[1]) * 60 + int(match[2])
    return minutes if minutes <= 24 * 60 else None


def initial(roles: Sequence[str], counts: Mapping[str, int]) -> Choices:
    return Choices(staffing={r: str(max(1, counts.get(r, 0))) for r in roles})


def read(post: Mapping[str, Any], roles: Sequence[str]) -> Choices:
    """The choices in a post, each wrong one with the words to put it right."""
    days = [d for d in post.getlist("days") if d in {str(i) for i in range(7)}]  # type: ignore[attr-defined]
    chosen = Choices(months=str(post.get("months", "")).strip(),
                     staffing={r: str(post.get(f"staff-{r}", "")).strip() for r in roles},
                     days=days, start=str(post.get("start", "")).strip(),
                     end=str(post.get("end", "")).strip())
    errors = chosen.errors
    if chosen.months not in {str(m) for m in MONTHS}:
        errors["months"] = "Select how many months of cases to replay"
    for role, value in chosen.staffing.items():
        label = role_label(role).lower()
        if not value.isdecimal():
            errors[f"staff-{role}"] = f"Enter the number of {label}s as a whole number, like 4"
        elif not 1 <= int(value) <= MAX_OFFICERS:
            errors[f"staff-{role}"] = (f"Number of {label}s must be between 1 and "
                                       f"{MAX_OFFICERS}: every role on the path needs someone")
    if not days:
        errors["days"] = "Select the days officers work"
    start, end = _minutes(chosen.start), _minutes(chosen.end)
    if start is None:
        errors["start"] = "Enter the time the working day starts, like 08:00"
    if end is None:
        errors["end"] = "Enter the time the working day ends, like 18:00"
    if start is not None and end is not None and end <= start:
        errors["end"] = "The working day must end after it starts"
    return chosen


def day_choices(chosen: Choices) -> list[tuple[str, str, bool]]:
    return [(str(i), name, str(i) in chosen.days) for i, name in enumerate(DAY_NAMES)]


def _share(result: Result | None, name: str) -> str:
    clock = next((c for c in result.clocks if c.name == name), None) if result else None
    if clock is None or clock.share is None:
        return "No case reaches it"
    return f"{clock.share:.0%} ({clock.on_time:,} of {clock.cases:,})"


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 1:
        return "under 1 working hour"
    return f"{hours:,.0f} working hour{'s' if round(hours) != 1 else ''}"


def clock_rows(candidate: Result, deployed: Result | None) -> list[tuple[str, str, str]]:
    return [(c.label, _share(candidate, c.name), _share(deployed, c.name))
            for c in candidate.clocks]


def role_rows(result: Result) -> list[list[str]]:
    return [[role_label(r.role), f"{r.officers:,}", f"{r.tasks:,}", f"{r.mean_queue:,.1f}",
             f"{r.max_queue:,}", _hours(r.mean_wait), f"{min(r.utilisation, 1.0):.0%}"]
            for r in result.role_figures]


def summary(candidate: Result, deployed: Result | None, deployed_label: str) -> list[str]:
    """One sentence per clock, and one for the busiest role."""
    lines = []
    for clock in candidate.clocks:
        if clock.share is None:
            continue
        line = f"{clock.share:.0%} of cases would meet '{clock.label}'"
        before = next((c for c in deployed.clocks if c.name == clock.name), None) \
            if deployed else None
        if before is not None and before.share is not None:
            line += f", against {before.share:.0%} on {deployed_label} as it runs now"
        lines.append(line + ".")
    if candidate.role_figures:
        worst = max(candidate.role_figures, key=lambda r: r.mean_queue)
        lines.append(f"The longest queue is for {role_label(worst.role).lower()}s: "
                     f"{worst.mean_queue:,.1f} tasks waiting on average, at most "
                     f"{worst.max_queue:,}.")
    return lines


def chart(result: Result, epoch: datetime) -> dict[str, Any]:
    """The weekly queue per role, for the chart and the table under it; each week is named
    by its Monday."""
    return {"weeks": [f"{(epoch + timedelta(weeks=i)).day} "
                      f"{(epoch + timedelta(weeks=i)):%b %Y}" for i in range(result.weeks)],
            "series": [{"label": role_label(r.role), "data": [round(v, 2) for v in r.weekly]}
                       for r in result.role_figures]}
