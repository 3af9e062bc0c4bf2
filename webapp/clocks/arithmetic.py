"""Deadline arithmetic: ISO 8601 limits added in local calendar time, clocks from events.

Day, week, month and year limits keep the local wall-clock time (10 days from 09:00 before the
clocks change is 09:00 after it, and a year from 29 February is 28 February); hour, minute and
second limits are elapsed time. A clock's whole state is computed from its events alone.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")
_ISO = re.compile(r"P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
                  r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?")


# No statutory limit or extension comes near a century; past it a due date can leave the
# calendar (datetime stops at year 9999), so longer durations are refused where they are given.
MAX_YEARS = 100
_DAYS_PER_PART = {"y": 365.25, "mo": 365.25 / 12, "w": 7, "d": 1, "h": 1 / 24, "mi": 1 / 1440,
                  "s": 1 / 86400}


def parse_duration(text: str) -> dict[str, float]:
    match = _ISO.fullmatch(text.strip()) if text else None
    if not match or text.strip() in {"P", "PT"}:
        raise ValueError(f"{text[:64]!r} is not an ISO 8601 duration such as P10D or PT24H")
    parts = {k: float(v) for k, v in match.groupdict(default="0").items()}
    if sum(parts[k] * days for k, days in _DAYS_PER_PART.items()) > MAX_YEARS * 365.25:
        raise ValueError(f"{text[:64]!r} is longer than {MAX_YEARS} years; give a real limit "
                         "such as P10D")
    return parts


def add_limit(start: datetime, limit: str) -> datetime:
    """``start`` plus an ISO 8601 duration, calendar parts in UK local time (aware UTC out)."""
    parts = parse_duration(limit)
    local = start.astimezone(LOCAL)
    months = int(parts["y"]) * 12 + int(parts["mo"])
    if months:
        month_index = local.month - 1 + months
        year, month = local.year + month_index // 12, month_index % 12 + 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        local = local.replace(year=year, month=month, day=day)
    days = int(parts["w"]) * 7 + int(parts["d"])
    if days:
        wall = local.replace(tzinfo=None) + timedelta(days=days)
        local = wall.replace(tzinfo=LOCAL)
    elapsed = timedelta(hours=parts["h"], minutes=parts["mi"], seconds=parts["s"])
    return local.astimezone(UTC) + elapsed


@dataclass(frozen=True)
class ClockEventData:
    """The fields of a ClockEvent the computation needs (so it runs on plain data)."""

    kind: str
    at: datetime
    limit: str = ""
    duration: str = ""


@dataclass
class ClockSnapshot:
    started_at: datetime
    limit: str
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    paused_since: datetime | None
    paused_seconds: float
    extensions: list[str] = field(default_factory=list)
    state: str = "running"
    withdrawn: bool = False  # stopped by a withdrawal: the clock never ran its course


def _apply(snap: ClockSnapshot, event: ClockEventData) -> None:
    if event.kind == "paused" and snap.paused_since is None:
        snap.paused_since = event.at
    elif event.kind in ("resumed", "stopped", "withdrawn") and snap.paused_since is not None:
        snap.paused_seconds += (event.at - snap.paused_since).total_seconds()
        snap.paused_since = None
    if event.kind == "extended":
        snap.extensions.append(event.duration)
    elif event.kind in ("stopped", "withdrawn"):
        snap.stopped_at = event.at
        snap.withdrawn = event.kind == "withdrawn"


def compute(events: Iterable[ClockEventData], now: datetime,
            warning_fraction: float = 0.75) -> ClockSnapshot | None:
    """A clock's state from its events, in order; None if it never started."""
    snap: ClockSnapshot | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.kind == "started" and snap is None:
            snap = ClockSnapshot(event.at, event.limit, None, None, None, None, 0.0)
        elif snap is not None and snap.stopped_at is None:
            _apply(snap, event)
    if snap is None:
        return None
    return _settle(snap, now, warning_fraction)


def then(snap: ClockSnapshot, event: ClockEventData, now: datetime,
         warning_fraction: float = 0.75) -> ClockSnapshot:
    """The clock after one more event, from its state so far (the same result as ``compute``
    over all its events, without reading them again)."""
    if snap.stopped_at is None:
        _apply(snap, event)
    return _settle(snap, now, warning_fraction)


def _settle(snap: ClockSnapshot, now: datetime, warning_fraction: float) -> ClockSnapshot:
    """Due and warning times and the state, from the start, limit, extensions and pauses."""
    due = add_limit(snap.started_at, snap.limit)
    for extension in snap.extensions:
        due = add_limit(due, extension)
    due += timedelta(seconds=snap.paused_seconds)
    snap.due_at = due
    snap.warn_at = snap.started_at + (due - snap.started_at) * warning_fraction
    if snap.stopped_at is not None:
        if snap.stopped_at > due:
            snap.state = "breached"
        else:
            snap.state = "stopped" if snap.withdrawn else "met"
    elif snap.paused_since is not None:
        snap.state = "paused"
    else:
        snap.state = "breached" if now > due else "running"
    return snap
