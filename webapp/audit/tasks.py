"""Celery adapters: each calls one service. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

from webapp.audit.verification import CheckpointRefused, chain_verify, checkpoint_take

log = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=3)
def verify_chain() -> bool:
    """Walk the access log's hash chain and store the result (beat runs this hourly)."""
    return chain_verify(source="periodic job").intact


@shared_task(name="audit.checkpoint_chain", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=3)
def checkpoint_chain() -> bool:
    """Check the rows added since the last checkpoint and write a signed one outside the
    database; a refusal is stored for the access-log page and logged as an error."""
    try:
        checkpoint_take(source="checkpoint job")
    except CheckpointRefused:
        return False  # stored and logged by the service
    except ImproperlyConfigured as exc:
        log.error("access-log checkpoint not written: %s", exc)
        return False
    return True
