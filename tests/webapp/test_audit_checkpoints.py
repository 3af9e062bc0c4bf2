"""Signed checkpoints of the access log, kept outside the database, let `audit_verify` see rows
cut off the end even when the chain head was moved back with them (as restoring an older dump
does); a forged checkpoint is reported; a restore is recorded on purpose, not by accident."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from tests import factories
from tests.conftest import _lift_append_only
from webapp.audit.log import verify
from webapp.audit.models import AccessLog, ChainHead, ChainVerification
from webapp.cases import services

pytestmark = pytest.mark.django_db
ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7}]}
CHECKPOINT_TASK = "audit.checkpoint_chain"


@pytest.fixture
def officer():
    hrt = factories.force()
    factories.officer("auditor", hrt, "auditor")
    return factories.officer("officer", hrt, "case_officer")


def _cases(officer, n: int = 1) -> None:
    for _ in range(n):
        services.case_start(user=officer, data=ENTER)


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exit_code:
        return int(exit_code.code or 0), out.getvalue()
    return 0, out.getvalue()


def _lines() -> list[tuple[Path, dict]]:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    return [(path, json.loads(text)) for path in sorted(folder.glob("*.jsonl"))
            for text in path.read_text().splitlines()]


def _rewrite_last_line(change) -> None:
    path, record = _lines()[-1]
    lines = path.read_text().splitlines()
    lines[-1] = json.dumps(change(record))
    path.write_text("\n".join(lines) + "\n")


def _cut_back_to(rows: int) -> None:
    """What restoring an older dump leaves: the later rows gone and the head moved back with
    them, so that the chain itself is whole."""
    keep = AccessLog.objects.order_by("pk")[rows - 1]
    with _lift_append_only(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslog WHERE id > %s", [keep.pk])
    ChainHead.objects.update(count=rows, last_hash=keep.hash)


def _checkpoint_task():
    from webapp.celery import app

    app.loader.import_default_modules()
    return app.tasks[CHECKPOINT_TASK]


def test_a_checkpoint_is_a_signed_line_in_a_file_outside_the_database(officer):
    _cases(officer)
    code, out = _run("audit_checkpoint")
    assert code == 0 and "Checkpoint written" in out

    (path, record), = _lines()
    head = ChainHead.objects.get()
    assert path.parent == Path(settings.AUDIT_CHECKPOINT_DIR)
    assert (record["count"], record["head"]) == (AccessLog.objects.count(), head.last_hash)
    assert record["last_id"] == AccessLog.objects.order_by("pk").last().pk
    assert len(record["sig"]) == 64 and not any(p.name.endswith(".tmp")
                                                for p in path.parent.iterdir())
    code, out = _run("audit_verify")
    assert code == 0 and "matches the signed checkpoint of" in out


def test_the_periodic_job_writes_checkpoints_on_the_beat_schedule(officer):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert CHECKPOINT_TASK in scheduled
    _cases(officer)
    assert _checkpoint_task().apply().get() is True
    _cases(officer)
    assert _checkpoint_task().apply().get() is True
    counts = [record["count"] for _, record in _lines()]
    assert len(counts) == 2 and counts[0] < counts[1] == AccessLog.objects.count()


def test_rows_cut_off_with_the_head_moved_back_pass_the_chain_but_not_the_checkpoint(officer):
    # given: a checkpoint of the log, then the last rows removed and the head moved back
    _cases(officer, 3)
    _run("audit_checkpoint")
    recorded = AccessLog.objects.count()
    _cut_back_to(recorded - 2)
    assert verify() == (recorded - 2, None)  # the chain alone cannot tell

    # when / then: the command compares with the checkpoint and reports the truncation
    code, out = _run("audit_verify")
    assert code == 1
    assert f"the log holds {recorded - 2} rows but the signed checkpoint of" in out
    assert f"recorded {recorded}: 2 or more entries are missing" in out
    # and the auditor sees it on the access-log page
    page = Client()
    page.force_login(get_user_model().objects.get(username="auditor"))
    assert "TRUNCATED: the log holds" in page.get("/audit/").content.decode()
    # reading only from the checkpoint on sees it too: its last row is gone
    code, out = _run("audit_verify", "--since-checkpoint")
    assert code == 1 and "TRUNCATED" in out and "is missing" in out


def test_a_forged_an_unsigned_and_a_foreign_checkpoint_are_each_reported(officer, settings):
    _cases(officer)
    _run("audit_checkpoint")
    _rewrite_last_line(lambda record: {**record, "count": record["count"] + 5})
    code, out = _run("audit_verify")
    assert code == 1 and "line 1 has been altered or forged" in out

    _rewrite_last_line(lambda record: {k: v for k, v in record.items() if k != "sig"})
    code, out = _run("audit_verify")
    assert code == 1 and "line 1 is not signed" in out

    _lines()[-1][0].unlink()
    assert _run("audit_checkpoint")[0] == 0
    assert _run("audit_verify")[0] == 0
    settings.AUDIT_CHECKPOINT_KEY = "another-service-key-" + "x" * 40
    code, out = _run("audit_verify")
    assert code == 1 and "is signed with a different key" in out


def test_only_the_rows_after_the_checkpoint_are_read_when_asked(officer):
    # given: a checkpoint, then two more cases; and an old row (before the checkpoint) altered
    _cases(officer)
    _run("audit_checkpoint")
    before = AccessLog.objects.count()
    _cases(officer, 2)
    new_rows = AccessLog.objects.count() - before
    first = AccessLog.objects.order_by("pk").first()
    with _lift_append_only(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET justification = 'edited' WHERE id = %s",
                       [first.pk])

    # when: verifying from the checkpoint on, only the new rows are read
    code, out = _run("audit_verify", "--since-checkpoint")
    assert code == 0
    assert f"{new_rows} rows verified (new rows since the signed checkpoint of" in out

    # then: the whole walk (the default) still finds the old alteration
    code, out = _run("audit_verify")
    assert code == 1 and f"first bad link at row id {first.pk}" in out


def test_a_break_in_the_new_rows_stops_the_checkpoint_job(officer):
    _cases(officer)
    _run("audit_checkpoint")
    _cases(officer)
    last = AccessLog.objects.order_by("pk").last()
    with _lift_append_only(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET justification = 'edited' WHERE id = %s",
                       [last.pk])
    assert _checkpoint_task().apply().get() is False
    assert len(_lines()) == 1
    refused = ChainVerification.objects.get()
    assert (refused.intact, refused.source, refused.first_bad_row_id) == (
        False, "checkpoint job", last.pk)


def test_a_restore_is_refused_by_the_job_until_recorded_and_then_verifies(officer):
    # given: checkpoints before and after a backup; the database restored to the backup
    _cases(officer, 2)
    _run("audit_checkpoint")
    at_backup = AccessLog.objects.count()
    _cases(officer, 2)
    _run("audit_checkpoint")
    _cut_back_to(at_backup)

    # then: verification names the earlier checkpoint the log still matches
    code, out = _run("audit_verify")
    assert code == 1 and "TRUNCATED" in out
    assert "matches the earlier checkpoint of" in out and f"({at_backup} rows)" in out
    # the scheduled checkpoint does not paper over it
    assert _checkpoint_task().apply().get() is False
    assert len(_lines()) == 2

    # when: an operator records the restore
    code, out = _run("audit_checkpoint", "--after-restore")
    assert code == 0 and "Restore recorded" in out and f"({at_backup} rows)" in out
    assert _lines()[-1][1]["kind"] == "restore"

    # then: the log verifies again, and the service carries on checkpointing
    code, out = _run("audit_verify")
    assert code == 0 and "intact" in out
    _cases(officer)
    assert _checkpoint_task().apply().get() is True
    assert _run("audit_verify")[0] == 0


def test_a_log_continuing_no_checkpoint_is_not_accepted_as_a_restore(officer):
    _cases(officer, 2)
    _run("audit_checkpoint")
    first = AccessLog.objects.order_by("pk").first()
    with _lift_append_only(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslog")
    ChainHead.objects.all().delete()
    _cases(officer)  # a different log, started afresh
    assert not AccessLog.objects.filter(hash=first.hash).exists()
    with pytest.raises(CommandError, match="continues none of the signed checkpoints"):
        call_command("audit_checkpoint", "--after-restore", stdout=StringIO())


def test_production_settings_refuse_to_checkpoint_without_a_key(officer, settings):
    _cases(officer)
    settings.AUDIT_CHECKPOINT_KEY_REQUIRED = True
    settings.AUDIT_CHECKPOINT_KEY = ""
    with pytest.raises(CommandError, match="AUDIT_CHECKPOINT_KEY is not set"):
        call_command("audit_checkpoint", stdout=StringIO())
    assert _checkpoint_task().apply().get() is False
    assert not Path(settings.AUDIT_CHECKPOINT_DIR).exists()
    settings.AUDIT_CHECKPOINT_KEY = "too short"
    with pytest.raises(CommandError, match="at least 32 characters"):
        call_command("audit_checkpoint", stdout=StringIO())
    settings.AUDIT_CHECKPOINT_KEY = "k" * 20 + "-production-checkpoint-key"
    assert _run("audit_checkpoint")[0] == 0
