"""Celery adapters for the process studio. Nothing imports this module (enqueue by name)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from webapp.cases.case_migration import migration_run


@shared_task(name="processes.run_migration", acks_late=True, ignore_result=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True,
             max_retries=5)
def run_migration(migration_id: int) -> None:
    """Move a force's live cases to a version (safe to run again: moved cases are skipped)."""
    migration_run(migration_id)
