"""The background worker's heartbeat: when the timer sweep last ran, and where. The warnings
decision makers read from it are in ``webapp.cases.oversight``."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.utils import timezone

from webapp.clocks.models import WorkerHeartbeat

SWEEP = "timer-sweep"


def heartbeat_record(now: datetime | None = None) -> None:
    """The sweep is running: note when, and which process (host:pid)."""
    WorkerHeartbeat.objects.update_or_create(
        name=SWEEP, defaults={"at": now or timezone.now(),
                              "worker": f"{socket.gethostname()}:{os.getpid()}"[:200]})
