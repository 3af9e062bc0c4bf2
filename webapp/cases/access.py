"""Need-to-know: who may see a case, why, and break-glass access for everyone else.

A user sees a case only through a legitimate relationship — they recorded it, they hold or
held one of its tasks, one of its open tasks is in a lane their role works (their team's
queue), or they supervise the unit (decision makers) — or through a break-glass access that
demands a reason, is logged, expires, and is flagged for an auditor's review.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from webapp.audit.justification import require_words
from webapp.audit.log import append, entry_for, record
from webapp.audit.models import AccessLog, BreakGlass, BreakGlassReason, Operation, ReviewOutcome
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import Action, allows, may_work, require

BREAK_GLASS_HOURS = 8
BREAK_GLASS_WORDS = ("Explain in a few words of your own why you must open this case (for "
                     "example: 'Covering for DC Shah; the applicant rang about a visit today').")
REVIEW_WORDS = "Note in a few words why the access was or was not justified."


def _active_break_glass(user: AbstractBaseUser) -> QuerySet[BreakGlass]:
    return BreakGlass.objects.filter(user=user, expires_at__gt=timezone.now())


def routed_to(membership: Membership) -> Q:
    """Task rows routed to the user's team queue: no team (the whole force's), or theirs."""
    if membership.team_id:
        return Q(team__isnull=True) | Q(team_id=membership.team_id)
    return Q(team__isnull=True)


def in_queue(membership: Membership) -> Q:
    """Ready task rows in the user's team queue: a lane their roles work, routed to them."""
    return Q(state=TaskState.READY, role__in=membership.roles) & routed_to(membership)


def visible(membership: Membership) -> Q:
    """A filter for the cases of the user's force they may see.

    Built as ``id IN (… UNION …)`` of the few cases related to the user, rather than an OR of
    EXISTS over every case of the force (which PostgreSQL had to check case by case).
    """
    force_id = membership.force_id
    if allows(membership, Action.SUPERVISE):
        return Q(force_id=force_id)
    user_id = membership.user_id
    related = Case.objects.filter(force_id=force_id, opened_by_id=user_id).values("pk").union(
        HumanTask.objects.filter(force_id=force_id, assignee_id=user_id).values("case_id"),
        HumanTask.objects.filter(in_queue(membership), force_id=force_id).values("case_id"),
        BreakGlass.objects.filter(user_id=user_id, expires_at__gt=timezone.now(),
                                  case__force_id=force_id).values("case_id"))
    return Q(force_id=force_id, pk__in=related)


def _queue_sql(membership: Membership, task: str) -> tuple[str, list[Any]]:
    """``in_queue`` as an SQL condition on the task row ``task`` (an alias)."""
    roles = list(membership.roles)
    if not roles:
        return "1 = 0", []
    team = f"{task}.team_id IS NULL" + (f" OR {task}.team_id = %s" if membership.team_id else "")
    return (f"({task}.state = %s AND {task}.role IN ({', '.join(['%s'] * len(roles))}) "
            f"AND ({team}))",
            [TaskState.READY, *roles, *([membership.team_id] if membership.team_id else [])])


def _held_or_queued_sql(membership: Membership, task: str) -> tuple[str, list[Any]]:
    """Task rows the user holds (or held) or may take from their team queue, in SQL."""
    queue, params = _queue_sql(membership, task)
    return f"({task}.assignee_id = %s OR {queue})", [membership.user_id, *params]


def visible_sql(membership: Membership, case: str) -> tuple[str, list[Any]]:
    """``visible`` as an SQL condition on one case row of the user's force (``case``: the
    alias of a ``cases_case`` row the statement has already limited to their force), for a
    statement written without the ORM: the same relationships (recorded it, holds or held one
    of its tasks, one of its open tasks is in their team queue, an unexpired break-glass
    access), every case of the force for a supervisor. tests/webapp/test_linked_cases.py
    checks it against ``visible``."""
    if allows(membership, Action.SUPERVISE):
        return "1 = 1", []
    tasks, task_params = _held_or_queued_sql(membership, "t")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return (f"({case}.opened_by_id = %s"  # noqa: S608 - names, values bound
            f" OR EXISTS (SELECT 1 FROM {HumanTask._meta.db_table} t"
            f" WHERE t.case_id = {case}.id AND {tasks})"
            f" OR EXISTS (SELECT 1 FROM {BreakGlass._meta.db_table} g"
            f" WHERE g.case_id = {case}.id AND g.user_id = %s AND g.expires_at > %s))",
            [membership.user_id, *task_params, membership.user_id, now])


def visible_tasks(membership: Membership) -> Q:
    """A filter for task rows whose case the user may see, evaluated per task row (cheap when
    other filters, such as the assignee, have already narrowed the rows)."""
    if allows(membership, Action.SUPERVISE):
        return Q(force_id=membership.force_id)
    user_id = membership.user_id
    mine = HumanTask.objects.filter(case_id=OuterRef("case_id"), assignee_id=user_id)
    queue = HumanTask.objects.filter(in_queue(membership), case_id=OuterRef("case_id"))
    glass = BreakGlass.objects.filter(case_id=OuterRef("case_id"), user_id=user_id,
                                      expires_at__gt=timezone.now())
    # A subquery, not a join: joining the case table here made PostgreSQL hash the whole of it.
    recorded = Case.objects.filter(pk=OuterRef("case_id"), opened_by_id=user_id)
    return Q(force_id=membership.force_id) & (
        Q(assignee_id=user_id) | in_queue(membership)
        | Q(Exists(recorded)) | Q(Exists(mine)) | Q(Exists(queue)) | Q(Exists(glass)))


def relationship(membership: Membership, case: Case) -> str | None:
    """Why the user may see the case (the justification logged), or None."""
    if case.force_id != membership.force_id:
        return None
    user_id = membership.user_id
    if case.opened_by_id == user_id:
        return "recorded the enquiry"
    # one query for both task relationships: the rows the user holds or may take (written
    # without the ORM: every page and step of a case asks it first)
    tasks, params = _held_or_queued_sql(membership, "t")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.assignee_id FROM {HumanTask._meta.db_table} t"  # noqa: S608
                       f" WHERE t.case_id = %s AND {tasks}", [case.pk, *params])
        holders = {row[0] for row in cursor.fetchall()}
    if holders:
        return ("assigned a task on the case" if user_id in holders
                else "the case is in the user's team queue")
    if allows(membership, Action.SUPERVISE):
        return "supervises the unit working the case"
    glass = _active_break_glass(membership.user).filter(case=case).order_by("-at").first()
    if glass is not None:
        return f"break-glass ({glass.get_reason_code_display()}): {glass.reason}"
    return None


def task_relationship(membership: Membership, task: HumanTask) -> str | None:
    """Why the user may see the case holding ``task``, if the task row alone says so (they
    hold it, or it is in their team queue); None when only the case's other rows could."""
    if task.assignee_id == membership.user_id:
        return "assigned a task on the case"
    if (task.state == TaskState.READY and may_work(membership, task.role)
            and task.team_id in (None, membership.team_id)):
        return "the case is in the user's team queue"
    return None


def may_act(user: AbstractBaseUser, case: Case, task: HumanTask | None = None) -> str:
    """The one need-to-know decision for reading *and* changing a case: why the user may, or a
    403. Every service that changes a case calls it under the case lock, so no route (page,
    API, job) can forget it. A task step passes the task row it read: when that row is the
    relationship, the case's other rows are not queried."""
    membership = getattr(user, "membership", None)
    why = None
    if membership is not None and case.force_id == membership.force_id:
        why = task_relationship(membership, task) if task is not None else None
        why = why or relationship(membership, case)
    if why is None:
        raise ServiceError("forbidden", "You have no working relationship with this case. "
                                        "If you must open it, give a reason (break-glass).")
    return why


def consult(user: AbstractBaseUser, case: Case, *, what: str = "case",
            fields: tuple[str, ...] = (), why: str | None = None) -> str:
    """Check need-to-know and log the consultation; raise 403 (break-glass offered) if none.
    ``why``: the ``may_act`` decision the caller already made (it is not made twice)."""
    why = why or may_act(user, case)
    append([consult_entry(user, case, what=what, fields=fields, why=why)])
    return why


def consult_entry(user: AbstractBaseUser, case: Case, *, what: str = "case",
                  fields: tuple[str, ...] = (), why: str) -> AccessLog:
    """The access-log entry of a consultation ``may_act`` allowed (``why``), to write with a
    page's other entries (``webapp.audit.log.append``)."""
    return entry_for(actor=user, operation=Operation.CONSULT, object_type=what,
                     object_id=case.reference, fields=fields, justification=why)


def break_glass(*, user: AbstractBaseUser, case: Case, reason_code: str,
                reason: str) -> BreakGlass:
    """Open a case outside one's relationships: a reason is required and an auditor reviews."""
    membership = getattr(user, "membership", None)
    if membership is None or case.force_id != membership.force_id:
        raise ServiceError("not_found", "No such case in your force.")
    if reason_code not in BreakGlassReason.values:
        raise ServiceError("invalid", "Choose a reason.",
                           field_errors={"reason_code": ["Choose a reason."]})
    reason = require_words(reason, field="reason", message=BREAK_GLASS_WORDS)
    now = timezone.now()
    glass = BreakGlass.objects.create(user=user, case=case, reason_code=reason_code,
                                      reason=reason[:500], at=now,
                                      expires_at=now + timedelta(hours=BREAK_GLASS_HOURS))
    record(actor=user, operation=Operation.CONSULT, object_type="break-glass",
           object_id=case.reference, justification=f"{reason_code}: {glass.reason}")
    return glass


def second_person_decide(request: Any, user: AbstractBaseUser, *, approve: bool, own: str,
                         own_may_refuse: bool = True) -> None:
    """Record a decision on a request one person made and another must decide (an extension,
    an erasure, lifting a legal hold): refused if it is decided already, or if the person who
    asked would approve it (or refuse it, unless ``own_may_refuse``). The caller saves it."""
    if request.approved is not None:
        raise ServiceError("conflict", "That request has already been decided.")
    if request.requested_by_id == user.pk and (approve or not own_may_refuse):
        raise ServiceError("forbidden", own)
    request.approved, request.decided_by, request.decided_at = approve, user, timezone.now()


def break_glass_review(*, user: AbstractBaseUser, glass_id: int, outcome: str,
                       note: str) -> BreakGlass:
    """Another auditor records whether a break-glass access was justified, and why."""
    membership = require(user, Action.AUDIT)
    glass = BreakGlass.objects.filter(pk=glass_id, case__force_id=membership.force_id).first()
    if glass is None:
        raise ServiceError("not_found", "No such break-glass access in your force.")
    if glass.user_id == user.pk:
        raise ServiceError("forbidden", "This break-glass access is your own: another auditor "
                                        "must review it.")
    if outcome not in ReviewOutcome.values:
        raise ServiceError("invalid", "Say whether the access was justified.",
                           field_errors={"outcome": ["Say whether the access was justified."]})
    note = require_words(note, field="note", message=REVIEW_WORDS)
    with transaction.atomic():
        locked = BreakGlass.objects.select_for_update().get(pk=glass.pk)
        if locked.reviewed_at is not None:
            raise ServiceError("conflict", "That access has already been reviewed.")
        locked.reviewed_by, locked.reviewed_at = user, timezone.now()
        locked.review_outcome, locked.review_note = outcome, note[:500]
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_outcome",
                                   "review_note"])
    return locked
