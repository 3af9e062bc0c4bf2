"""Working hours as a weekly pattern, and time arithmetic in them, for the what-if simulation.

Times are seconds from a Monday 00:00 local time (the start of the simulated period's first
week), so that the weekday and the hour of any time follow from it without a calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class WorkingHours:
    """The days officers work (0 is Monday) and the hours of a working day, in minutes."""

    days: frozenset[int]
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("working hours need at least one day of the week")
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("the working day must end after it starts, within the day")

    @property
    def day_seconds(self) -> float:
        return (self.end_minute - self.start_minute) * 60.0

    @property
    def week_seconds(self) -> float:
        return self.day_seconds * len(self.days)

    def _bounds(self, day: int) -> tuple[float, float]:
        base = day * DAY
        return base + self.start_minute * 60.0, base + self.end_minute * 60.0

    def next_working(self, t: float) -> float:
        """``t`` if it falls in working hours, else the start of the next working period."""
        day = int(t // DAY)
        for offset in range(8):
            d = day + offset
            if d % 7 not in self.days:
                continue
            start, end = self._bounds(d)
            if t < end:
                return max(t, start)
        raise AssertionError("a week always holds a working day")  # pragma: no cover

    def add(self, t: float, work: float) -> float:
        """The time at which ``work`` seconds of working time, begun at ``t``, are done."""
        t = self.next_working(t)
        whole_weeks = int(work // self.week_seconds)
        if whole_weeks and work - whole_weeks * self.week_seconds <= 0:
            whole_weeks -= 1  # exactly N weeks of work end in the Nth week, not the next one
        if whole_weeks:  # a long task: skip whole weeks at once
            t += whole_weeks * WEEK
            work -= whole_weeks * self.week_seconds
        while True:
            end = self._bounds(int(t // DAY))[1]
            if t + work <= end:
                return t + work
            work -= end - t
            t = self.next_working(end)

    def between(self, a: float, b: float) -> float:
        """Working seconds from ``a`` to ``b`` (0 if ``b`` is not after ``a``)."""
        if b <= a:
            return 0.0
        total = 0.0
        whole_weeks = int((b - a) // WEEK)
        total += whole_weeks * self.week_seconds
        t = a + whole_weeks * WEEK
        day = int(t // DAY)
        while day * DAY < b:
            if day % 7 in self.days:
                start, end = self._bounds(day)
                total += max(0.0, min(end, b) - max(start, t))
            day += 1
        return total

    def words(self) -> str:
        """'Monday to Friday, 08:00 to 18:00' (or the days listed)."""
        days = sorted(self.days)
        if len(days) > len(("Saturday", "Sunday")) and days == list(range(days[0],
                                                                           days[-1] + 1)):
            named = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
        else:
            named = ", ".join(DAY_NAMES[d] for d in days)
        return (f"{named}, {self.start_minute // 60:02d}:{self.start_minute % 60:02d} to "
                f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}")


OFFICE_HOURS = WorkingHours(frozenset(range(5)), 8 * 60, 18 * 60)
