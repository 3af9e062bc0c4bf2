"""Celery adapters: each calls one service. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.audit.verification import chain_verify


@shared_task(name="audit.verify_chain", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=3)
def verify_chain() -> bool:
    """Walk the access log's hash chain and store the result (beat runs this hourly)."""
    return chain_verify(source="periodic job").intact
