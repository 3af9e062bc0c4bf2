"""Celery adapters for the API. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.api.idempotency import idempotency_purge


@shared_task(name="api.purge_idempotency", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=5)
def purge_idempotency() -> int:
    """Delete Idempotency-Key records past their day (beat runs this hourly)."""
    return idempotency_purge()
