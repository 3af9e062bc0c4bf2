"""Verify the access log's hash chain and compare it with the latest signed checkpoint kept
outside the database; store the result for the access-log page, report what is wrong (a broken
link, entries missing since a checkpoint, a forged checkpoint) and exit 1 if anything is."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from webapp.audit.verification import chain_verify


class Command(BaseCommand):
    help = ("Check every access-log row against the hash chain and the latest signed "
            "checkpoint (with --since-checkpoint, only the rows added after it).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since-checkpoint", action="store_true",
            help="check only the rows after the latest checkpoint (its cost grows with the new "
                 "rows, not the whole log); the rows before it were checked when it was taken")

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = chain_verify(source="command", since_checkpoint=options["since_checkpoint"])
        result = verdict.record
        if result.intact:
            self.stdout.write(f"Access log intact: {result.rows_checked} rows verified "
                              f"({verdict.note}).")
            return
        if result.first_bad_row_id is not None:
            self.stdout.write(f"Access log BROKEN after {result.rows_checked} good rows: first "
                              f"bad link at {verdict.problems[0]}.")
        else:
            self.stdout.write(f"Access log BROKEN after {result.rows_checked} good rows.")
        for problem in verdict.problems[1 if result.first_bad_row_id is not None else 0:]:
            self.stdout.write(f"- {problem}.")
        if any(problem.startswith("TRUNCATED") for problem in verdict.problems):
            self.stdout.write("If the database was restored from a backup on purpose, record the "
                              "restore with: manage.py audit_checkpoint --after-restore")
        raise SystemExit(1)
