"""Run a definition's scenarios (``scenarios/*.json``) and say, in plain words, whether each passes.

Each scenario starts a case with the scheme's declared parameters (and its own), drives it with
``simulation.drive`` on the scenario's answers, fires its events between steps, and compares the
tasks completed, the outcome codes (the case data's ``outcome_codes``, as ``instance.status``
reads them) and where the case ended with what the scenario expects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.definitions import Definition
from engine.errors import EngineError
from engine.instance import ProcessInstance
from engine.scenario_file import Event, Scenario, read_all
from engine.simulation import Answer, PathBlocked, drive

MAX_STEPS = 200


@dataclass(frozen=True)
class StepTaken:
    """A task the case completed, with its name as the diagram gives it."""

    bpmn_id: str
    name: str


@dataclass(frozen=True)
class ScenarioResult:
    """Whether one scenario passed and, if not, why (each reason a sentence for a policy lead)."""

    file: str
    title: str
    passed: bool
    reasons: tuple[str, ...]
    path: tuple[StepTaken, ...]
    outcomes: tuple[str, ...]  # the outcome labels the case ended (or stopped) with
    ended: bool


class _Stop(Exception):
    """A scenario cannot go on; the message says why."""


def task_name(definition: Definition, bpmn_id: str) -> str:
    """The name of an element of the definition (its id when it has none)."""
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        task_spec = spec.task_specs.get(bpmn_id)
        if task_spec is not None:
            return str(getattr(task_spec, "bpmn_name", None) or bpmn_id)
    return bpmn_id


def ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


class _Answers(Mapping[str, Answer]):
    """The scenario's answers as ``drive`` reads them: a task given a list has one answer per
    time it is offered, and none once the list is used up."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.used: dict[str, int] = {}
        self.last: str | None = None

    def _left(self, task: str) -> bool:
        given = self.scenario.answers.get(task)
        if given is None:
            return False
        return task in self.scenario.repeat or self.used.get(task, 0) < len(given)

    def __contains__(self, task: object) -> bool:
        return isinstance(task, str) and self._left(task)

    def __getitem__(self, task: str) -> Answer:
        if not self._left(task):
            raise KeyError(task)

        def answer(_data: Mapping[str, Any]) -> Mapping[str, Any]:
            given = self.scenario.answers[task]
            index = self.used.get(task, 0)
            self.used[task] = index + 1
            self.last = task
            return given[min(index, len(given) - 1)]

        return answer

    def __iter__(self) -> Iterator[str]:
        return (t for t in self.scenario.answers if self._left(t))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Run:
    def __init__(self, definition: Definition, scenario: Scenario) -> None:
        self.definition, self.scenario = definition, scenario
        self.answers = _Answers(scenario)
        self.done_events: set[int] = set()

    def name(self, bpmn_id: str) -> str:
        return task_name(self.definition, bpmn_id)

    def between(self, instance: ProcessInstance) -> ProcessInstance:
        finished = self.answers.last
        for index, event in enumerate(self.scenario.events):
            if index not in self.done_events and event.after == finished:
                self.done_events.add(index)
                self.fire(instance, event)
        return instance

    def fire(self, instance: ProcessInstance, event: Event) -> None:
        after = self.name(event.after)
        if event.message is not None:
            try:
                instance.send_message(event.message, event.payload)
            except EngineError as exc:
                if exc.code == "not_waiting":
                    raise _Stop(f"After '{after}' the case was not waiting for the message "
                                f"'{event.message}'.") from exc
                raise
            return
        timer = event.timer or ""
        moved = instance.set_timer_due(timer, datetime.now(UTC) - timedelta(seconds=1))
        if not moved:
            raise _Stop(f"After '{after}' the timer '{self.name(timer)}' was not waiting.")
        instance.fire_due_timers()


@dataclass
class Driven:
    """What driving a scenario did: the case (None if it could not start), the tasks completed,
    and why it stopped early (plain words) or the error of a refused step."""

    run: _Run
    instance: ProcessInstance | None
    steps: list[StepTaken]
    stopped: str | None = None
    error: EngineError | None = None
    offered: list[tuple[str, ...]] = field(default_factory=list)  # ready before each step


def drive_scenario(definition: Definition, scenario: Scenario) -> Driven:
    """Start a case with the scheme's parameters (and the scenario's) and drive it with the
    scenario's answers and events until no answer fits."""
    run = _Run(definition, scenario)
    start = {**definition.scheme.defaults(), **scenario.parameters, "outcome_codes": []}
    driven = Driven(run, None, [])
    try:
        driven.instance = ProcessInstance.start(definition, start)
        driven.instance, taken = drive(driven.instance, run.answers, between=run.between,
                                       max_steps=MAX_STEPS)
        driven.steps = [StepTaken(s.bpmn_id, run.name(s.bpmn_id)) for s in taken]
        driven.offered = [s.offered for s in taken]
    except _Stop as stop:
        driven.stopped = str(stop)
    except PathBlocked:
        driven.stopped = (f"The case did not finish within {MAX_STEPS} steps: the answers may "
                          "send it round a loop for ever.")
    except EngineError as exc:
        driven.stopped, driven.error = _refusal(run, exc), exc
    return driven


def run_scenario(definition: Definition, scenario: Scenario) -> ScenarioResult:
    """Run one scenario on ``definition`` and compare what happened with what it expects."""
    driven = drive_scenario(definition, scenario)
    run, instance, steps = driven.run, driven.instance, driven.steps
    if instance is None or driven.stopped:
        return _result(scenario, definition, [driven.stopped or "The case did not start."],
                       steps, (), ended=False)
    status = instance.status()
    ended = status.status == "completed"
    # The first step that went another way explains the rest; an outcome is compared only when
    # the case got where the scenario expects it to stop.
    stopped = _where_it_stopped(run, instance, ended)
    reasons = [*_path_reasons(run, steps), *stopped]
    if not stopped:
        reasons.extend(_outcome_reasons(definition, scenario, status.outcome_codes, ended))
    return _result(scenario, definition, reasons, steps, status.outcome_codes, ended=ended)


def run_scenarios(definition: Definition) -> list[ScenarioResult]:
    """Every scenario of the definition, run in file-name order."""
    return [run_scenario(definition, s) for s in read_all(definition.files)]


def _result(scenario: Scenario, definition: Definition, reasons: Sequence[str],
            steps: Sequence[StepTaken], codes: Sequence[str], *, ended: bool) -> ScenarioResult:
    labels = tuple(definition.scheme.outcome_label(c) for c in codes)
    return ScenarioResult(scenario.file, scenario.title, not reasons, tuple(reasons),
                          tuple(steps), labels, ended)


def _refusal(run: _Run, exc: EngineError) -> str:
    task = run.answers.last
    where = f"'{run.name(task)}'" if task else "the first step"
    if exc.code == "invalid_data":
        fields = "; ".join(f"{name or 'the form'}: {' '.join(messages)}"
                           for name, messages in exc.field_errors.items())
        return f"The answers for {where} were not accepted ({fields or exc.message})."
    return f"The case stopped with an error at {where}: {exc.message[:300]}"


def _where_it_stopped(run: _Run, instance: ProcessInstance, ended: bool) -> list[str]:
    expected = run.scenario.waiting_at
    offered = instance.human_tasks()
    if expected is None:
        if ended:
            return []
        reasons = []
        for task in offered:
            times = run.answers.used.get(task.bpmn_id, 0)
            if times:
                reasons.append(f"The scenario has no answer for the {ordinal(times + 1)} time "
                               f"'{task.name}' is offered.")
            else:
                reasons.append(f"The scenario has no answer for '{task.name}'.")
        return reasons or ["The case did not end: it is waiting for a timer or a message."]
    if ended:
        return [f"Expected the case to wait at {_names(run, expected)} but it ended."]
    actual = {t.bpmn_id for t in offered} | {t.name for t in offered}
    wanted = set(expected)
    if len(wanted) != len(offered) or not wanted <= actual:
        shown = ", ".join(f"'{t.name}'" for t in offered) or "nothing"
        return [f"Expected the case to wait at {_names(run, expected)} but it waits at {shown}."]
    return []


def _names(run: _Run, refs: Sequence[str]) -> str:
    return ", ".join(f"'{run.name(r)}'" for r in refs) or "nothing"


def _matches(ref: str, step: StepTaken) -> bool:
    return ref in (step.bpmn_id, step.name)


def _path_reasons(run: _Run, steps: Sequence[StepTaken]) -> list[str]:
    scenario, name = run.scenario, run.name
    expected = scenario.path
    if expected is None:
        return []
    if scenario.in_order:
        for position, (ref, step) in enumerate(zip(expected, steps, strict=False), start=1):
            if not _matches(ref, step):
                return [f"Expected step {position} to be '{name(ref)}' but it was "
                        f"'{step.name}'."]
        if len(expected) > len(steps):
            return [f"Expected step {len(steps) + 1} to be '{name(expected[len(steps)])}'"
                    " but the case went no further."]
        if len(steps) > len(expected):
            return [f"Expected the path to end after {len(expected)} steps but the case went on "
                    f"to '{steps[len(expected)].name}'."]
        return []
    left = list(steps)
    missing = []
    for ref in expected:
        found = next((s for s in left if _matches(ref, s)), None)
        if found is None:
            missing.append(ref)
        else:
            left.remove(found)
    reasons = [f"Expected '{name(ref)}' to be completed but it was not." for ref in missing]
    reasons += [f"'{s.name}' was completed but the scenario does not expect it." for s in left]
    return reasons


def _outcome_reasons(definition: Definition, scenario: Scenario, codes: Sequence[str],
                     ended: bool) -> list[str]:
    if set(codes) == set(scenario.outcomes):
        return []
    scheme = definition.scheme
    expected = _outcome_words(scheme.outcome_label(c) for c in scenario.outcomes)
    actual = _outcome_words(scheme.outcome_label(c) for c in codes)
    verb = ("end with", "ended with") if ended else ("have", "has")
    return [f"Expected the case to {verb[0]} {expected} but it {verb[1]} {actual}."]


def _outcome_words(labels: Iterator[str] | Sequence[str]) -> str:
    quoted = [f"'{label}'" for label in labels]
    if not quoted:
        return "no outcome"
    noun = "outcome" if len(quoted) == 1 else "outcomes"
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"{noun} {joined}"
