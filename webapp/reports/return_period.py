"""The period of the returns page, typed as two dates (day, month and year), with the GOV.UK
Design System's error messages; left blank, the last financial year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from webapp.clocks.periods import EARLIEST_DAY, LATEST_DAY, Period

PARTS = ("day", "month", "year")
DATES = (("from", "Start date", "start date"), ("to", "End date", "end date"))


@dataclass(frozen=True)
class PeriodForm:
    """What was typed (kept to show again), the period it gives and the errors (field id ->
    message)."""

    typed: dict[str, dict[str, str]]
    period: Period | None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        """The period as the page's own query (for its CSV links)."""
        if self.period is None:
            return {}
        return {f"{name}-{part}": str(getattr(day, part))
                for name, day in (("from", self.period.first), ("to", self.period.last))
                for part in PARTS}


def _shape_problem(typed: dict[str, str], words: str) -> str:
    """What is wrong with the parts as typed, before reading them as a date ('' if nothing)."""
    missing = [part for part in PARTS if not typed[part]]
    if len(missing) == len(PARTS):
        return f"Enter the {words}"
    if missing:
        return f"The {words} must include a {missing[0]}"
    if not all(typed[part].isdecimal() for part in PARTS):
        return f"The {words} must be a real date, like 1 4 2025"
    if len(typed["year"]) != 4:  # noqa: PLR2004 - a year has four digits
        return f"The {words} year must have 4 numbers, like 2025"
    return ""


def _one(get: Any, name: str, words: str) -> tuple[dict[str, str], date | None, str]:
    typed = {part: str(get.get(f"{name}-{part}", ""))[:10].strip() for part in PARTS}
    problem = _shape_problem(typed, words)
    if problem:
        return typed, None, problem
    try:
        day = date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        return typed, None, f"The {words} must be a real date, like 1 4 2025"
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return typed, None, (f"The {words} must be between {EARLIEST_DAY.year} and "
                             f"{LATEST_DAY.year}")
    return typed, day, ""


def read_period(get: Any, default: Period) -> PeriodForm:
    """The period typed in ``get``; with nothing typed, ``default``."""
    if not any(get.get(f"{name}-{part}") for name, _, _ in DATES for part in PARTS):
        return PeriodForm({name: {p: str(getattr(day, p)) for p in PARTS}
                           for name, day in (("from", default.first), ("to", default.last))},
                          default)
    typed: dict[str, dict[str, str]] = {}
    days: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for name, _, words in DATES:
        typed[name], days[name], error = _one(get, name, words)
        if error:
            errors[name] = error
    first, last = days["from"], days["to"]
    if first is not None and last is not None and last < first:
        errors["to"] = "The end date must be the same as or after the start date"
    if errors or first is None or last is None:
        return PeriodForm(typed, None, errors)
    return PeriodForm(typed, Period(first, last))
