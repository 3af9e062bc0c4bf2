"""Is this process ready for traffic? The database answers, the broker answers, the timer
sweep ran recently and due timers are not waiting too long. Each check says what failed in
plain words: never a URL, host name, password or exception text (those go to the log)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from kombu import Connection

import webapp.broker_scheme  # noqa: F401 - the embedded broker's URL scheme
from webapp.health_readings import sweep_heartbeat_age, timer_backlog

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = "ok"


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        return Check("database", False, "the database cannot be reached")
    return Check("database", True)


def broker_check() -> Check:
    """Connect to the broker named in the settings and look up the default queue (passively:
    nothing is created or sent), giving up after READY_BROKER_TIMEOUT seconds."""
    timeout = settings.READY_BROKER_TIMEOUT
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    options = {"max_retries": 0, "socket_timeout": timeout, "socket_connect_timeout": timeout,
               **settings.CELERY_BROKER_TRANSPORT_OPTIONS}
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                        transport_options=options) as broker:
            broker.ensure_connection(max_retries=0, timeout=timeout)
            channel = broker.channel()
            try:
                channel.queue_declare(queue=queue, passive=True)
            except broker.channel_errors:
                pass  # the broker answered: the queue is made when a worker first starts
            finally:
                channel.close()
    except Exception as exc:  # noqa: BLE001 - any failure to talk to the broker means not ready
        log.warning("readiness: broker check failed: %s", type(exc).__name__)
        return Check("broker", False, "the message broker cannot be reached")
    return Check("broker", True)


def worker_check(now: datetime) -> Check:
    limit = settings.READY_HEARTBEAT_SECONDS
    age = sweep_heartbeat_age(now)
    if age is None:
        return Check("worker", False, "no background worker has run the timer sweep yet")
    if age > limit:
        return Check("worker", False, f"the background worker last ran the timer sweep "
                                      f"{int(age)} seconds ago (limit {int(limit)})")
    return Check("worker", True)


def timers_check(now: datetime) -> Check:
    limit = settings.READY_TIMER_LAG_SECONDS
    backlog = timer_backlog(now)
    if backlog.lag_seconds > limit:
        return Check("timers", False, f"{backlog.due} due timer(s) waiting, the oldest for "
                                      f"{int(backlog.lag_seconds)} seconds (limit {int(limit)})")
    return Check("timers", True)


def readiness(now: datetime | None = None) -> list[Check]:
    """Every check, in order; the worker and timer checks need the database."""
    now = now or timezone.now()
    checks = [database_check(), broker_check()]
    if checks[0].ok:
        checks += [worker_check(now), timers_check(now)]
    else:
        checks += [Check("worker", False, "not checked: no database"),
                   Check("timers", False, "not checked: no database")]
    return checks
