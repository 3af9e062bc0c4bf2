"""Who is emailed when something happens on a case, and in which generic words.

Each function is one hook a case service calls inside its step; ``webapp.notifications``
records the notices and sends them after the commit. The words are a task's or clock's name as
the scheme's diagram and declarations give them, never a name, a form answer or a reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from engine import TimerInfo
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.clocks.models import ExtensionRequest
from webapp.forces.models import Membership
from webapp.notifications.models import Kind
from webapp.notifications.services import notify
from webapp.permissions import Action, allows
from webapp.processes.registry import scheme_for


def _holders(case: Case, action: Action, *, besides: int | None = None) -> list[int]:
    """The members of the case's force whose roles allow ``action`` (not ``besides``)."""
    return [m.user_id for m in Membership.objects.filter(force_id=case.force_id)
            if allows(m, action) and m.user_id != besides]


def task_assigned(case: Case, task: HumanTask, *, by: AbstractBaseUser | None) -> None:
    """A decision maker gave ``task`` to someone (not to themselves)."""
    if task.assignee_id is not None and (by is None or task.assignee_id != by.pk):
        notify(kind=Kind.TASK_ASSIGNED, user_ids=[task.assignee_id], reference=case.reference,
               path=task.get_absolute_url(), words=task.name)


def tasks_routed(case: Case, tasks: Iterable[HumanTask],
                 actors: Iterable[AbstractBaseUser]) -> None:
    """New tasks the step sent straight to the case's owner: the work comes back to them
    (after a decision, a check or a timer), unless the owner took the step themselves."""
    acting = {actor.pk for actor in actors}
    by_person: dict[int, list[HumanTask]] = {}
    for task in tasks:
        if task.assignee_id is not None and task.assignee_id not in acting:
            by_person.setdefault(task.assignee_id, []).append(task)
    for person, theirs in by_person.items():  # one email per person per step
        one = len(theirs) == 1
        notify(kind=Kind.TASK_RETURNED, user_ids=[person], reference=case.reference,
               path=theirs[0].get_absolute_url() if one else case.get_absolute_url(),
               words=theirs[0].name if one else f"{len(theirs)} tasks")


def clock_alerted(case: Case, *, breach: bool, words: str) -> None:
    """A clock's warning or breach: to the case's owner and whoever holds its ready tasks, or,
    on a case nobody holds, to those who acknowledge alerts."""
    holders = list(HumanTask.objects.filter(case=case, state=TaskState.READY,
                                            assignee__isnull=False)
                   .values_list("assignee_id", flat=True))
    people = [case.owner_id, *holders] if case.owner_id or holders else _holders(
        case, Action.ACKNOWLEDGE_ALERTS)
    notify(kind=Kind.CLOCK_BREACH if breach else Kind.CLOCK_WARNING, user_ids=people,
           reference=case.reference, path=case.get_absolute_url(), words=words)


def extension_asked(case: Case, request: ExtensionRequest, clock_label: str) -> None:
    """To those who may decide it, but not the one asking."""
    notify(kind=Kind.EXTENSION_REQUESTED,
           user_ids=_holders(case, Action.DECIDE_EXTENSIONS, besides=request.requested_by_id),
           reference=case.reference, path=case.get_absolute_url(), words=f"{clock_label} clock")


def extension_decided(case: Case, request: ExtensionRequest, clock_label: str) -> None:
    """To the one who asked (unless they decided it: a refusal of their own request)."""
    if request.requested_by_id == request.decided_by_id:
        return
    outcome = "approved" if request.approved else "refused"
    notify(kind=Kind.EXTENSION_DECIDED, user_ids=[request.requested_by_id],
           reference=case.reference, path=case.get_absolute_url(),
           words=f"{clock_label} clock, {outcome}")


def timers_fired(case: Case, timers: Iterable[TimerInfo]) -> None:
    """A fired process timer that is a clock's declared breach timer: the clock is breached."""
    clocks = scheme_for(case.version_id).clocks
    for timer in timers:
        clock = next((c for c in clocks if c.breach_timer and c.breach_timer == timer.bpmn_id),
                     None)
        if clock is not None:
            clock_alerted(case, breach=True, words=f"{clock.label}: limit passed")
