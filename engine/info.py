"""Plain, frozen results of the engine facade: no SpiffWorkflow object ever leaves engine/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HumanTaskInfo:
    """A READY user task as the inbox shows it."""

    task_id: str
    bpmn_id: str
    name: str
    lane: str | None
    process_id: str
    form_key: str | None
    form_file: str | None
    ui_file: str | None
    instructions: str
    stage: str | None


@dataclass(frozen=True)
class CurrentStep:
    """A step the case is at now: its element, the processes holding it (innermost first,
    the case's own process last) and the activities that called them (innermost first)."""

    bpmn_id: str
    processes: tuple[str, ...]
    callers: tuple[str, ...]


@dataclass(frozen=True)
class TimerInfo:
    """A waiting timer and when it falls due (aware UTC), for an indexed database column."""

    task_id: str
    bpmn_id: str
    name: str
    due_at: datetime
    kind: str
    stage: str | None


@dataclass(frozen=True)
class ErrorInfo:
    task_id: str
    bpmn_id: str
    message: str


@dataclass(frozen=True)
class InstanceStatus:
    """Where a case stands after a step."""

    status: str  # running | completed | error
    stage: str | None
    outcome_codes: tuple[str, ...]
    human_tasks: tuple[HumanTaskInfo, ...]
    timers: tuple[TimerInfo, ...]
    next_due_at: datetime | None
    waiting_messages: tuple[str, ...]
    errors: tuple[ErrorInfo, ...]
    task_count: int
