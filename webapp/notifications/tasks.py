"""Celery adapters: each calls one service. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.notifications.services import (
    TRANSIENT,
    digests_send,
    notice_send,
    notices_purge,
    notices_unsent,
)


@shared_task(name="notifications.send", acks_late=True, ignore_result=True,
             autoretry_for=(*TRANSIENT, OperationalError, InterfaceError), retry_backoff=30,
             retry_backoff_max=3600, retry_jitter=True, max_retries=8)
def send(notice_id: int) -> bool:
    """Email one notice; retried with backoff while the mail server is down."""
    return notice_send(notice_id=notice_id)


@shared_task(name="notifications.send_unsent", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def send_unsent() -> int:
    """Send the immediate notices a lost message or spent retries left behind."""
    sent = 0
    for notice_id in notices_unsent():
        try:
            sent += notice_send(notice_id=notice_id)
        except TRANSIENT:
            break  # mail is still down: the next run tries again
    return sent


@shared_task(name="notifications.send_digests", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def send_digests() -> int:
    """The daily summary emails (beat runs this once a day), then old sent notices go."""
    sent = digests_send()
    notices_purge()
    return sent
