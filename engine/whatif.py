"""What-if: replay a force's arrivals on a process version with a given staffing and working
hours, and predict per clock the share of cases on time and per role the queue.

A discrete-event simulation with no database and no SpiffWorkflow: each path through the
diagram is worked out once (``engine.whatif_paths``) as groups of user tasks (the tasks of a
group are offered together, the next group once all are done), so a year of cases runs in a
fraction of a second. Each role has a number of officers; an officer works one task at a time,
only in working hours, tasks first come first served. Deterministic for a given seed.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.working_hours import HOUR, WEEK, WorkingHours

ARRIVAL_ORDER = 1 << 62
DEFAULT_SERVICE = HOUR  # a step with no history anywhere in its role takes one working hour


class WhatIfInvalid(ValueError):
    """The inputs cannot be simulated; the message says what to change."""


@dataclass(frozen=True)
class PathStep:
    element: str
    name: str
    role: str
    group: int  # steps of the same group are offered together


@dataclass(frozen=True)
class Path:
    """One way through the diagram (a scenario's), with the outcome codes it ends with."""

    key: str
    title: str
    outcomes: frozenset[str]
    steps: tuple[PathStep, ...]


@dataclass(frozen=True)
class ClockRule:
    """A clock as the simulation times it. A clock of an activity (``within``: the user tasks
    inside it) runs from the first of them offered to the first of ``met_by`` completed, else
    to the last of them completed; a clock of the whole case (``within`` empty) runs from the
    case arriving to the first of ``met_by`` completed, else to the case closing."""

    name: str
    label: str
    limit: float  # seconds
    within: frozenset[str] = frozenset()
    met_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds from the Monday 00:00 the simulation starts on
    outcomes: frozenset[str] = frozenset()  # the case's outcome in history (chooses its path)


@dataclass(frozen=True)
class Inputs:
    paths: Sequence[Path]
    arrivals: Sequence[Arrival]
    durations: Mapping[str, Sequence[float]]  # element -> working seconds from history
    staffing: Mapping[str, int]  # role -> officers
    hours: WorkingHours
    clocks: Sequence[ClockRule]
    seed: int = 1


@dataclass(frozen=True)
class ClockResult:
    name: str
    label: str
    cases: int
    on_time: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.cases if self.cases else None


@dataclass(frozen=True)
class RoleResult:
    role: str
    officers: int
    tasks: int
    mean_queue: float  # tasks waiting for an officer, averaged over the period
    max_queue: int
    mean_wait: float  # seconds a task waits for an officer
    utilisation: float  # share of the officers' working hours spent on tasks
    weekly: tuple[float, ...]  # mean queue in each week


@dataclass(frozen=True)
class Result:
    cases: int
    weeks: int
    clocks: tuple[ClockResult, ...]
    role_figures: tuple[RoleResult, ...]
    guessed: tuple[str, ...]  # elements with no history of their own
    paths: Mapping[str, int] = field(default_factory=dict)  # path key -> cases on it


class _Queue:
    """One role's officers and waiting tasks, with the time-weighted queue length."""

    def __init__(self, officers: int, weeks: int) -> None:
        self.free = officers
        self.waiting: deque[tuple[float, int, int]] = deque()  # (offered at, case, step)
        self.last = 0.0
        self.area = [0.0] * weeks
        self.max = 0
        self.busy = 0.0
        self.waited = 0.0
        self.tasks = 0

    def account(self, now: float) -> None:
        """Add the queue length since the last change to the weekly areas (work still queued
        after the last arrival's week counts in that last week)."""
        length, t = len(self.waiting), self.last
        while length and t < now:
            week = min(int(t // WEEK), len(self.area) - 1)
            end = min(now, (week + 1) * WEEK) if week < len(self.area) - 1 else now
            self.area[week] += length * (end - t)
            t = end
        self.last = now


def _choose_paths(all_paths: Sequence[Path], arrivals: Sequence[Arrival],
                  rng: random.Random) -> list[Path]:
    """Each case takes the path ending with the outcome it had; a case still open (or with an
    outcome no path gives) takes one drawn from the mix of the others."""
    by_outcome = {p.outcomes: p for p in all_paths}
    chosen: list[Path | None] = [by_outcome.get(a.outcomes) if a.outcomes else None
                                 for a in arrivals]
    known = [p for p in chosen if p is not None] or list(all_paths)
    return [p if p is not None else rng.choice(known) for p in chosen]


def _service_times(inputs: Inputs) -> tuple[dict[str, Sequence[float]], tuple[str, ...]]:
    """Each element's durations: its own history, else its role's, else one hour."""
    by_role: dict[str, list[float]] = {}
    elements = {s.element: s.role for p in inputs.paths for s in p.steps}
    for element, role in elements.items():
        by_role.setdefault(role, []).extend(inputs.durations.get(element, ()))
    times: dict[str, Sequence[float]] = {}
    guessed = []
    for element, role in sorted(elements.items()):
        own = [d for d in inputs.durations.get(element, ()) if d > 0]
        if not own:
            guessed.append(element)
        times[element] = own or [d for d in by_role[role] if d > 0] or [DEFAULT_SERVICE]
    return times, tuple(guessed)


def _check(inputs: Inputs) -> None:
    if not inputs.paths:
        raise WhatIfInvalid("The version has no scenario to take the paths through it from: "
                            "add a scenario to the draft.")
    needed = sorted({s.role for p in inputs.paths for s in p.steps})
    missing = [r for r in needed if inputs.staffing.get(r, 0) < 1]
    if missing:
        raise WhatIfInvalid("Every role that works a step needs at least one officer: "
                            + ", ".join(missing))


class _Simulation:
    """The state of one run: the cases' progress along their paths, the roles' queues and the
    events still to come."""

    def __init__(self, inputs: Inputs, arrivals: Sequence[Arrival], paths: Sequence[Path],
                 rng: random.Random) -> None:
        self.hours, self.rng, self.paths = inputs.hours, rng, paths
        self.times, self.guessed = _service_times(inputs)
        self.horizon = arrivals[-1].at if arrivals else 0.0
        self.weeks = max(1, int(self.horizon // WEEK) + 1)
        self.queues = {r: _Queue(n, self.weeks) for r, n in inputs.staffing.items() if n > 0}
        self.groups = [[[j for j, s in enumerate(p.steps) if s.group == g]
                        for g in sorted({s.group for s in p.steps})] for p in paths]
        self.offered: list[dict[str, float]] = [{} for _ in paths]
        self.done: list[dict[str, float]] = [{} for _ in paths]
        self.closed = [0.0] * len(paths)
        self.at_group = [0] * len(paths)
        self.left = [0] * len(paths)
        # (time, order, case, step or -1 for an arrival): arrivals are ordered after every task
        # ending at the same time, so an officer who finishes is free for the case coming in
        self.events = [(a.at, ARRIVAL_ORDER + case, case, -1) for case, a in enumerate(arrivals)]
        heapq.heapify(self.events)
        self.order = 0

    def start(self, now: float, since: float, queue: _Queue, case: int, step: int) -> None:
        work = self.rng.choice(self.times[self.paths[case].steps[step].element])
        begin = self.hours.next_working(now)
        queue.free -= 1
        queue.busy += work
        queue.tasks += 1
        queue.waited += self.hours.between(since, begin)
        heapq.heappush(self.events, (self.hours.add(begin, work), self.order, case, step))
        self.order += 1

    def offer(self, now: float, case: int) -> None:
        """Offer the case's next group of tasks (or close the case after its last)."""
        steps = self.paths[case].steps
        if self.at_group[case] >= len(self.groups[case]):
            self.closed[case] = now
            return
        group = self.groups[case][self.at_group[case]]
        self.left[case] = len(group)
        for step in group:
            self.offered[case].setdefault(steps[step].element, now)
            queue = self.queues[steps[step].role]
            queue.account(now)
            if queue.free > 0:
                self.start(now, now, queue, case, step)
            else:
                queue.waiting.append((now, case, step))
                queue.max = max(queue.max, len(queue.waiting))

    def finish(self, now: float, case: int, step: int) -> None:
        path_step = self.paths[case].steps[step]
        self.done[case][path_step.element] = now
        queue = self.queues[path_step.role]
        queue.account(now)
        queue.free += 1
        if queue.waiting:
            since, next_case, next_step = queue.waiting.popleft()
            self.start(now, since, queue, next_case, next_step)
        self.left[case] -= 1
        if self.left[case] == 0:
            self.at_group[case] += 1
            self.offer(now, case)

    def run(self) -> None:
        while self.events:
            now, _, case, step = heapq.heappop(self.events)
            if step < 0:
                self.offer(now, case)
            else:
                self.finish(now, case, step)


def simulate(inputs: Inputs) -> Result:
    """Run the arrivals through the paths with the staffing; see the module docstring."""
    _check(inputs)
    rng = random.Random(inputs.seed)  # noqa: S311 - a reproducible simulation, not a secret
    arrivals = sorted(inputs.arrivals, key=lambda a: a.at)
    paths = _choose_paths(inputs.paths, arrivals, rng)
    sim = _Simulation(inputs, arrivals, paths, rng)
    sim.run()
    span = max([sim.horizon, *sim.closed])
    return Result(len(arrivals), sim.weeks,
                  tuple(_clock(rule, arrivals, sim.offered, sim.done, sim.closed)
                        for rule in inputs.clocks),
                  tuple(_role(role, inputs.staffing[role], q, inputs.hours, span=span,
                              weeks=sim.weeks)
                        for role, q in sorted(sim.queues.items())),
                  sim.guessed, _path_counts(paths))


def _path_counts(paths: Sequence[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in paths:
        counts[p.key] = counts.get(p.key, 0) + 1
    return counts


def _clock(rule: ClockRule, arrivals: Sequence[Arrival], offered: Sequence[dict[str, float]],
           done: Sequence[dict[str, float]], closed: Sequence[float]) -> ClockResult:
    cases = on_time = 0
    for case, arrival in enumerate(arrivals):
        met = [done[case][e] for e in rule.met_by if e in done[case]]
        if rule.within:
            started = [offered[case][e] for e in rule.within if e in offered[case]]
            if not started:
                continue  # the case's path never reaches what this clock times
            began = min(started)
            end = min(met) if met else max(done[case][e] for e in rule.within
                                           if e in done[case])
        else:
            began, end = arrival.at, min(met) if met else closed[case]
        cases += 1
        on_time += end - began <= rule.limit
    return ClockResult(rule.name, rule.label, cases, on_time)


def _role(role: str, officers: int, queue: _Queue, hours: WorkingHours, *, span: float,
          weeks: int) -> RoleResult:
    """``span`` runs to the last case closed, so the officers' time covers all the work."""
    queue.account(span)
    available = officers * hours.between(0.0, max(span, WEEK))
    weekly = tuple(area / WEEK for area in queue.area)
    return RoleResult(role, officers, queue.tasks, sum(queue.area) / (weeks * WEEK), queue.max,
                      queue.waited / queue.tasks if queue.tasks else 0.0,
                      queue.busy / available if available else 0.0, weekly)
