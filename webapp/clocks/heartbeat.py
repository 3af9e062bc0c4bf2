"""The background worker's heartbeat, and the warning decision makers see when time limits are
not being processed: no sweep has run lately (no worker, no beat, or a broken broker), or a
case's timer is well past due and still unfired."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from webapp.cases.models import Case, CaseStatus
from webapp.clocks.models import WorkerHeartbeat
from webapp.forces.models import Membership

SWEEP = "timer-sweep"


def heartbeat_record(now: datetime | None = None) -> None:
    """The sweep is running: note when, and which process (host:pid)."""
    WorkerHeartbeat.objects.update_or_create(
        name=SWEEP, defaults={"at": now or timezone.now(),
                              "worker": f"{socket.gethostname()}:{os.getpid()}"[:200]})


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
