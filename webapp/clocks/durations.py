"""Durations as people read and enter them: "24 hours", "45 days", "7 days and 12 hours".

ISO 8601 (``PT24H``, ``P45D``) stays inside the definitions and the clock rows; pages show
``duration_words`` and forms take a number and a unit (``duration_from_parts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from webapp.clocks.arithmetic import _ISO, MAX_YEARS, parse_duration
from webapp.errors import ServiceError

# (ISO part, singular, plural), largest first
_PARTS = [("y", "year", "years"), ("mo", "month", "months"), ("w", "week", "weeks"),
          ("d", "day", "days"), ("h", "hour", "hours"), ("mi", "minute", "minutes"),
          ("s", "second", "seconds")]
# The units an extension is entered in: form value -> (label, ISO template)
UNITS = {"hours": ("Hours", "PT{}H"), "days": ("Days", "P{}D"), "weeks": ("Weeks", "P{}W"),
         "months": ("Months", "P{}M")}
MAX_AMOUNT = 999


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def duration_words(iso: str) -> str:
    """``PT24H`` -> "24 hours", ``P1DT12H`` -> "1 day and 12 hours"; text that is not an ISO
    duration is returned as it is (it is already words)."""
    try:
        parts = parse_duration(iso)
    except ValueError:
        return iso
    words = [f"{_number(parts[key])} {one if parts[key] == 1 else many}"
             for key, one, many in _PARTS if parts[key]]
    if not words:
        return "no time"
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def duration_from_parts(amount: str, unit: str) -> str:
    """The ISO 8601 duration of a number and a unit typed into a form ("7", "days" -> P7D).

    Raises ValueError with a message that says what to enter."""
    amount = (amount or "").strip()
    if not amount:
        raise ValueError("Enter how much extra time is needed, as a whole number, like 7")
    if not amount.isdecimal():
        raise ValueError("The extra time must be a whole number, like 7")
    if unit not in UNITS:
        raise ValueError("Select hours, days, weeks or months")
    number = int(amount)
    if not 1 <= number <= MAX_AMOUNT:
        raise ValueError(f"The extra time must be between 1 and {MAX_AMOUNT} {unit}")
    return UNITS[unit][1].format(number)


def extension_duration(form: Mapping[str, str]) -> str:
    """The ISO duration an extension form asks for: a number (``amount``) and a ``unit``; an
    ISO ``duration`` is still taken from clients that send one. Refusals say what to enter."""
    if "amount" not in form and "unit" not in form:
        return str(form.get("duration", "")).strip().upper()
    try:
        return duration_from_parts(form.get("amount", ""), form.get("unit", ""))
    except ValueError as exc:
        raise ServiceError("invalid", str(exc), field_errors={"amount": [str(exc)]}) from exc


def duration_problem(iso: str) -> str | None:
    """What is wrong with an ISO duration given for an extension, in words (None if fine)."""
    try:
        parse_duration(iso)
    except ValueError:
        if iso and _ISO.fullmatch(iso.strip()) and iso.strip() not in {"P", "PT"}:
            return (f"An extension cannot be longer than {MAX_YEARS} years: enter the extra "
                    "time needed, like 7 days")
        return "Enter the extra time as a number and a unit, like 7 days"
    return None


_IN_TEXT = re.compile(r"\+?\b(P(?:\d+[YMWD])+(?:T(?:\d+[HMS])+)?|PT(?:\d+[HMS])+)\b")


def durations_in_words(text: str) -> str:
    """Every ISO 8601 duration in a text in words ("extended by +P7D" -> "extended by 7 days"),
    for texts written before durations were recorded in words."""
    return _IN_TEXT.sub(lambda m: duration_words(m.group(1)), text)
