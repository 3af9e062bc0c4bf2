"""Need-to-know: who may see a case, why, and break-glass access for everyone else.

A user sees a case only through a legitimate relationship — they recorded it, they hold or
held one of its tasks, one of its open tasks is in a lane their role works (their team's
queue), or they supervise the unit (decision makers) — or through a break-glass access that
demands a reason, is logged, expires, and is flagged for an auditor's review.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from webapp.audit.log import record
from webapp.audit.models import BreakGlass, BreakGlassReason, Operation
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.errors import ServiceError
from webapp.forces.models import Membership, Role

BREAK_GLASS_HOURS = 8
SUPERVISORS = {Role.DECISION_MAKER}


def _active_break_glass(user: AbstractBaseUser) -> QuerySet[BreakGlass]:
    return BreakGlass.objects.filter(user=user, expires_at__gt=timezone.now())


def visible(membership: Membership) -> Q:
    """A filter for the cases of the user's force they may see.

    Built as ``id IN (… UNION …)`` of the few cases related to the user, rather than an OR of
    EXISTS over every case of the force (which PostgreSQL had to check case by case).
    """
    force_id = membership.force_id
    if SUPERVISORS & set(membership.roles):
        return Q(force_id=force_id)
    user_id = membership.user_id
    related = Case.objects.filter(force_id=force_id, opened_by_id=user_id).values("pk").union(
        HumanTask.objects.filter(force_id=force_id, assignee_id=user_id).values("case_id"),
        HumanTask.objects.filter(force_id=force_id, state=TaskState.READY,
                                 role__in=membership.roles).values("case_id"),
        BreakGlass.objects.filter(user_id=user_id, expires_at__gt=timezone.now(),
                                  case__force_id=force_id).values("case_id"))
    return Q(force_id=force_id, pk__in=related)


def visible_tasks(membership: Membership) -> Q:
    """A filter for task rows whose case the user may see, evaluated per task row (cheap when
    other filters, such as the assignee, have already narrowed the rows)."""
    if SUPERVISORS & set(membership.roles):
        return Q(force_id=membership.force_id)
    user_id = membership.user_id
    mine = HumanTask.objects.filter(case_id=OuterRef("case_id"), assignee_id=user_id)
    queue = HumanTask.objects.filter(case_id=OuterRef("case_id"), state=TaskState.READY,
                                     role__in=membership.roles)
    glass = BreakGlass.objects.filter(case_id=OuterRef("case_id"), user_id=user_id,
                                      expires_at__gt=timezone.now())
    # A subquery, not a join: joining the case table here made PostgreSQL hash the whole of it.
    recorded = Case.objects.filter(pk=OuterRef("case_id"), opened_by_id=user_id)
    return Q(force_id=membership.force_id) & (
        Q(assignee_id=user_id) | Q(state=TaskState.READY, role__in=membership.roles)
        | Q(Exists(recorded)) | Q(Exists(mine)) | Q(Exists(queue)) | Q(Exists(glass)))


def relationship(membership: Membership, case: Case) -> str | None:
    """Why the user may see the case (the justification logged), or None."""
    if case.force_id != membership.force_id:
        return None
    user_id = membership.user_id
    checks = (
        (lambda: case.opened_by_id == user_id, "recorded the enquiry"),
        (lambda: HumanTask.objects.filter(case=case, assignee_id=user_id).exists(),
         "assigned a task on the case"),
        (lambda: HumanTask.objects.filter(case=case, state=TaskState.READY,
                                          role__in=membership.roles).exists(),
         "the case is in the user's team queue"),
        (lambda: bool(SUPERVISORS & set(membership.roles)), "supervises the unit working the case"),
    )
    for check, reason in checks:
        if check():
            return reason
    glass = _active_break_glass(membership.user).filter(case=case).order_by("-at").first()
    if glass is not None:
        return f"break-glass ({glass.get_reason_code_display()}): {glass.reason}"
    return None


def consult(user: AbstractBaseUser, case: Case, *, what: str = "case",
            fields: tuple[str, ...] = ()) -> str:
    """Check need-to-know and log the consultation; raise 403 (break-glass offered) if none."""
    membership = getattr(user, "membership", None)
    why = relationship(membership, case) if membership is not None else None
    if why is None:
        raise ServiceError("forbidden", "You have no working relationship with this case. "
                                        "If you must open it, give a reason (break-glass).")
    record(actor=user, operation=Operation.CONSULT, object_type=what,
           object_id=case.reference, fields=fields, justification=why)
    return why


def break_glass(*, user: AbstractBaseUser, case: Case, reason_code: str,
                reason: str) -> BreakGlass:
    """Open a case outside one's relationships: a reason is required and an auditor reviews."""
    membership = getattr(user, "membership", None)
    if membership is None or case.force_id != membership.force_id:
        raise ServiceError("not_found", "No such case in your force.")
    if reason_code not in BreakGlassReason.values:
        raise ServiceError("invalid", "Choose a reason.",
                           field_errors={"reason_code": ["Choose a reason."]})
    if len(reason.strip()) < 10:  # noqa: PLR2004 - a sentence, not a token
        raise ServiceError("invalid", "Explain why in a sentence (at least 10 characters).",
                           field_errors={"reason": ["Explain why in a sentence."]})
    now = timezone.now()
    glass = BreakGlass.objects.create(user=user, case=case, reason_code=reason_code,
                                      reason=reason.strip()[:500], at=now,
                                      expires_at=now + timedelta(hours=BREAK_GLASS_HOURS))
    record(actor=user, operation=Operation.CONSULT, object_type="break-glass",
           object_id=case.reference, justification=f"{reason_code}: {glass.reason}")
    return glass


def break_glass_review(*, user: AbstractBaseUser, glass_id: int, note: str) -> BreakGlass:
    """An auditor records the review of a break-glass access."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.has_role(Role.AUDITOR):
        raise ServiceError("forbidden", "Only an auditor reviews break-glass accesses.")
    glass = BreakGlass.objects.filter(pk=glass_id, case__force_id=membership.force_id).first()
    if glass is None:
        raise ServiceError("not_found", "No such break-glass access in your force.")
    if glass.reviewed_at is not None:
        raise ServiceError("conflict", "That access has already been reviewed.")
    glass.reviewed_by, glass.reviewed_at, glass.review_note = user, timezone.now(), note[:500]
    glass.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return glass
