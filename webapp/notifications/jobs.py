"""Enqueue notification work by task name (nothing imports ``tasks.py``)."""

from __future__ import annotations

import logging

from webapp.celery import app

log = logging.getLogger(__name__)


def enqueue_send(notice_id: int) -> None:
    """Hand one notice to a worker; if the broker is down the notice stays unsent and the
    next ``notifications.send_unsent`` run picks it up."""
    try:
        app.send_task("notifications.send", args=[notice_id])
    except Exception:  # noqa: BLE001 - the step has committed; the sweep sends it later
        log.warning("notice not enqueued: notice=%s (sent by the next sweep)", notice_id)
