"""Send the daily summary emails now (beat runs the same each day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from webapp.notifications.services import digests_send, notices_purge


class Command(BaseCommand):
    help = ("Email each person the summary of the notices they chose to get once a day; "
            "delete notices sent more than 30 days ago.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digests_send()
        notices_purge()
        self.stdout.write(f"{sent} summary email(s) sent.")
