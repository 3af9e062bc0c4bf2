"""Verify the access log's hash chain; report the first broken link and exit 1 if any."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from webapp.audit.log import verify


class Command(BaseCommand):
    help = "Check every access-log row against the hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify()
        if broken is None:
            self.stdout.write(f"Access log intact: {checked} rows verified.")
            return
        where = f"row id {broken.pk}" if broken.pk else "the chain head"
        self.stdout.write(f"Access log BROKEN after {checked} good rows: first bad link at "
                          f"{where} ({broken.object_type} {broken.object_id}).")
        raise SystemExit(1)
