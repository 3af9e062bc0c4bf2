"""Every log line carries the id of the request it was written in (the reference people see);
in a Celery task, the id of the request that enqueued the task and the task's own id. Load
balancer probes and metrics scrapes, every few seconds, are kept out of the access log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from webapp.audit.context import current

# Answered by webapp.probes before anything else; listed here so that logging, configured
# before the apps load, need not import the checks.
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True)
class TaskInfo:
    task_id: str
    request_id: str  # of the request that enqueued the task; "" when beat or a task did


current_task: ContextVar[TaskInfo | None] = ContextVar("log_task", default=None)


def current_request_id() -> str:
    """The id of the request being served, or "" outside one."""
    info = current.get()
    return info.request_id if info is not None else ""


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current request's id, or "-" outside one) and ``task_id`` (the
    running Celery task's id, or "") to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        task = current_task.get()
        # Django logs a 4xx answer ("Bad Request: …") after the middleware has returned, with
        # the request attached to the record: its id is taken from there.
        attached = str(getattr(getattr(record, "request", None), "correlation_id", ""))
        record.request_id = (current_request_id() or attached
                             or (task.request_id if task else "") or "-")
        record.task_id = task.task_id if task is not None else ""
        return True


class ProbeAccessFilter(logging.Filter):
    """Drops gunicorn's access-log lines for the probe paths (for the ``gunicorn.access``
    handler in gunicorn's ``logconfig_dict``); every other request is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, Mapping) else {}
        path = str(atoms.get("U", "")).rstrip("/")
        return path not in PROBE_PATHS
