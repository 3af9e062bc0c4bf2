"""Celery's side of the request id: a task enqueued while a request is served carries that
request's id in a message header, and the worker's log lines name it and the task's id. The
worker logs through the same handlers and JSON lines as the web processes (``LOGGING``)
instead of Celery's own set-up."""

from __future__ import annotations

import logging.config
from typing import Any

from celery import signals

from webapp.request_log import TaskInfo, current_request_id, current_task

HEADER = "dw_request_id"
_tokens: dict[str, Any] = {}


@signals.setup_logging.connect
def _use_django_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """The worker logs as the web processes do, at the level its ``--loglevel`` names."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@signals.before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task sent by a task passes on the request id it was itself given."""
    task = current_task.get()
    request_id = current_request_id() or (task.request_id if task is not None else "")
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


@signals.task_prerun.connect
def _task_started(task_id: str = "", task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    request_id = str(getattr(request, HEADER, None)
                     or (getattr(request, "headers", None) or {}).get(HEADER) or "")[:64]
    _tokens[task_id] = current_task.set(TaskInfo(task_id=task_id, request_id=request_id))


@signals.task_postrun.connect
def _task_finished(task_id: str = "", **_: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            current_task.reset(token)
        except ValueError:  # finished in another context than it started: forget it there
            current_task.set(None)
