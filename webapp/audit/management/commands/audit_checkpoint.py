"""Write a signed checkpoint of the access log's hash chain outside the database (as the
periodic job does), or record a restore from a backup with --after-restore."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from webapp.audit.checkpoint_store import directory
from webapp.audit.verification import (
    CheckpointRefused,
    checkpoint_after_restore,
    checkpoint_take,
)


class Command(BaseCommand):
    help = ("Check the access-log rows added since the latest checkpoint and write a new signed "
            "checkpoint to AUDIT_CHECKPOINT_DIR.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--after-restore", action="store_true",
            help="the database was restored from a backup: check the whole chain, find the "
                 "checkpoint it continues and record the restore, superseding later checkpoints")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["after_restore"]:
                checkpoint, continued = checkpoint_after_restore(source="command")
            else:
                checkpoint, continued = checkpoint_take(source="command"), None
        except (CheckpointRefused, ImproperlyConfigured) as exc:
            raise CommandError(f"No checkpoint written: {exc}.") from exc
        self.stdout.write(f"Checkpoint written to {directory()}: {checkpoint.count} rows, "
                          f"last hash {checkpoint.head[:16]}.")
        if options["after_restore"] and not checkpoint.note:
            self.stdout.write("The log continues the latest checkpoint: no restore to record.")
        if checkpoint.note and continued is not None:
            superseded = checkpoint.note["supersedes"]
            self.stdout.write(
                f"Restore recorded: the log continues the checkpoint of "
                f"{continued.at:%Y-%m-%d %H:%M} UTC ({continued.count} rows). Entries written "
                f"after the backup, up to the {superseded['count']} rows of the checkpoint of "
                f"{superseded['at'][:16]} UTC, are not in this database.")
