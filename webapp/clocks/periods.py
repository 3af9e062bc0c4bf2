"""Which clocks count as overdue, due, breached, stopped or met in a period: one definition
each, read by the dashboard's figures and by the case list's filters, so that a figure and the
cases it opens always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from webapp.clocks.models import ClockState

OVERDUE, DUE, BREACHED, STOPPED, MET = "overdue", "due", "breached", "stopped", "met"
# What each state means, as the case list says it ("Cases with a clock …").
STATE_WORDS = {
    OVERDUE: "running past its time limit now",
    DUE: "due",
    BREACHED: "that reached its time limit without being met",
    STOPPED: "that stopped (met or not)",
    MET: "met on time",
}
NEEDS_PERIOD = (DUE, BREACHED, STOPPED, MET)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Period:
    """Whole days in local time (Europe/London): ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return _day_start(self.first)

    @property
    def end(self) -> datetime:
        """The exclusive end: midnight after the last day."""
        return _day_start(self.last + timedelta(days=1))

    def words(self) -> str:
        if self.first == self.last:
            return f"{self.first:%-d %B %Y}"
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1 \
                and (self.first.year, self.first.month) == (self.last.year, self.last.month):
            return f"{self.first:%B %Y}"
        return f"{self.first:%-d %B %Y} to {self.last:%-d %B %Y}"

    def during(self) -> str:
        """The period after a verb: "on 6 December 2026", "in May 2026", "from … to …"."""
        words = self.words()
        if self.first == self.last:
            return f"on {words}"
        return f"from {words}" if " to " in words else f"in {words}"

    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def this_month(now: datetime) -> Period:
    today = timezone.localdate(now)
    return month(today.year, today.month)


def last_months(now: datetime, count: int = 12) -> list[Period]:
    """The ``count`` calendar months up to and including the current one, oldest first."""
    today = timezone.localdate(now)
    index = today.year * 12 + today.month - 1
    return [month(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


# The years a period may name: the product's records begin after 2000, and a far year (9999)
# would overflow the day after it.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def parse_period(first: str, last: str) -> Period | None:
    """A period from ``from``/``to`` query values (ISO dates), or None if either is unusable."""
    try:
        period = Period(date.fromisoformat(first[:10]), date.fromisoformat(last[:10]))
    except ValueError:
        return None
    if not EARLIEST_DAY <= period.first <= period.last <= LATEST_DAY:
        return None
    return period


def clock_filter(state: str, now: datetime, period: Period | None = None, clock: str = "") -> Q:
    """Clock rows in ``state`` (in ``period`` where the state needs one), of one clock if
    named."""

    def q(**kwargs: object) -> Q:
        return Q(clock=clock, **kwargs) if clock else Q(**kwargs)

    if state == OVERDUE:  # paused clocks are not overdue; a stale 'running' row past due is
        return q(stopped_at__isnull=True, paused_since__isnull=True, due_at__lt=now,
                 state__in=(ClockState.RUNNING, ClockState.BREACHED))
    if period is None:
        return Q(pk__in=[])
    if state == DUE:
        return q(state=ClockState.RUNNING, due_at__gte=max(now, period.start),
                 due_at__lt=period.end)
    if state == BREACHED:  # the breach happens when the limit passes: counted on its due date
        return q(state=ClockState.BREACHED, due_at__gte=period.start,
                 due_at__lt=min(period.end, now))
    if state in (STOPPED, MET):
        states = (ClockState.MET,) if state == MET else (ClockState.MET, ClockState.BREACHED)
        return q(state__in=states, stopped_at__gte=period.start, stopped_at__lt=period.end)
    return Q(pk__in=[])
