"""Celery adapters: each calls one service. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.cases.drafts import drafts_purge
from webapp.cases.timers import timers_sweep


@shared_task(name="cases.sweep_timers", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=5)
def sweep_timers() -> int:
    """Fire every due timer (beat runs this every few seconds; overlapping runs are safe)."""
    return timers_sweep()


@shared_task(name="cases.purge_drafts", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=5)
def purge_drafts() -> int:
    """Delete drafts of new enquiries past their retention (beat runs this hourly)."""
    return drafts_purge()
