"""What a decision maker oversees beyond their own tasks: whether time limits are being
processed at all (no sweep has run lately: no worker, no beat, or a broken broker; or a case's
timer is well past due and still unfired), the force's open step incidents, and the extension
requests awaiting a second person. Reads only: no stored state is loaded."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from webapp.cases.models import Case, CaseStatus, Incident
from webapp.clocks.heartbeat import SWEEP
from webapp.clocks.models import ExtensionRequest, WorkerHeartbeat
from webapp.clocks.selectors import with_clock_label
from webapp.forces.models import Membership


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 120:  # noqa: PLR2004 - show minutes up to two hours
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"  # noqa: PLR2004


def background_warnings(membership: Membership, now: datetime | None = None) -> list[str]:
    """What a decision maker must know about the background processing of time limits."""
    now = now or timezone.now()
    warnings = []
    stale = timedelta(seconds=settings.WORKER_STALE_SECONDS)
    beat = WorkerHeartbeat.objects.filter(name=SWEEP).values_list("at", flat=True).first()
    if beat is None:
        warnings.append("No background worker has run yet: time limits, clock warnings and "
                        "breach escalations are not being processed. Tell your system "
                        "administrator.")
    elif now - beat > stale:
        warnings.append(f"The background worker last ran {_ago(now - beat)} ago: time limits, "
                        "clock warnings and breach escalations are not being processed. Tell "
                        "your system administrator.")
    late = timedelta(seconds=settings.TIMER_LATE_SECONDS)
    oldest = (Case.objects.filter(next_due_at__lt=now - late, status=CaseStatus.OPEN,
                                  force_id=membership.force_id)
              .order_by("next_due_at").values_list("next_due_at", flat=True).first())
    if oldest is not None:
        warnings.append(f"Time limits are running late: a timer of your force fell due "
                        f"{_ago(now - oldest)} ago and has not been processed yet. Warnings "
                        "and escalations may be missing until it is.")
    return warnings


# The decision maker's panels show each case's reference: they do not read its stored state.
def open_incidents(membership: Membership) -> QuerySet[Incident]:
    return (Incident.objects.filter(force_id=membership.force_id, resolved_at__isnull=True)
            .select_related("case").defer("case__state").order_by("-opened_at")[:50])


def force_pending_extensions(membership: Membership) -> QuerySet[ExtensionRequest]:
    # a request left pending on a closed case is moot (it can only be refused): not listed
    return with_clock_label(
        ExtensionRequest.objects.filter(case__force_id=membership.force_id,
                                        approved__isnull=True, case__status=CaseStatus.OPEN)
        .select_related("case", "requested_by").defer("case__state")
        .order_by("requested_at"))[:50]
