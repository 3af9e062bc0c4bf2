"""The backup path on PostgreSQL, as docs/operations.md describes it: `pg_dump` while cases are
being written, restore into a fresh database, verify the access log against the signed
checkpoints (the restore shows as a truncation until it is recorded), then carry on a case
that was open at the dump. The restored database is driven by `manage.py` processes, as an
operator would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections

from tests import factories
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, CaseStatus, TaskState

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="pg_dump and pg_restore need PostgreSQL (CI runs this on it)"),
    pytest.mark.skipif(not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")),
                       reason="PostgreSQL's client tools are not on PATH"),
]
ROOT = Path(__file__).resolve().parents[2]
KEY = "backup-test-checkpoint-key-" + "k" * 30
ROLES = ("contact_handler", "case_officer", "decision_maker")

CONTINUE = """
import json
from pathlib import Path
from django.contrib.auth import get_user_model
from tests import factories
from webapp.cases import services
from webapp.cases.models import Case, TaskState
case = Case.objects.get(reference={reference!r})
task = case.tasks.get(state=TaskState.READY)
user = get_user_model().objects.get(username=task.role)
form = Path(task.form_file).name.removesuffix(".schema.json")
services.task_complete(user=user, task_id=task.pk, data=factories.sample(form))
case.refresh_from_db()
print(json.dumps({{"done": task.name, "status": case.status,
                  "next": sorted(case.tasks.filter(state=TaskState.READY)
                                 .values_list("name", flat=True))}}))
"""


def _server_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = ["-h", settings_dict["HOST"] or "127.0.0.1", "-p", str(settings_dict["PORT"] or 5432),
            "-U", settings_dict["USER"] or "postgres"]
    env = {**os.environ}
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def _url(settings_dict: dict, name: str) -> str:
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    return (f"postgres://{settings_dict['USER'] or 'postgres'}{password}@"
            f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{name}")


def _manage(database_url: str, checkpoints: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "AUDIT_CHECKPOINT_DIR": str(checkpoints),
           "AUDIT_CHECKPOINT_KEY": KEY, "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _start_cases_until(stop: threading.Event, contact, written: list[str]) -> None:
    try:
        while not stop.is_set():
            case = services.case_start(user=contact, data=factories.sample("enquiry"))
            written.append(case.reference)
    finally:
        connections.close_all()


@pytest.fixture
def restored_name():
    """A fresh database for the restore, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    args, env = _server_args(connection.settings_dict)
    psql = ["psql", *args, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env=env,
                   check=True, capture_output=True)
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], env=env, check=True,
                   capture_output=True)
    yield name
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env=env,
                   check=False, capture_output=True)


def test_a_dump_taken_under_load_restores_verifies_and_its_open_cases_carry_on(
        settings, tmp_path, restored_name):
    settings.AUDIT_CHECKPOINT_KEY = KEY
    live_checkpoints = Path(settings.AUDIT_CHECKPOINT_DIR)
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    people = {role: factories.officer(role, hrt, role) for role in ROLES}
    # given: open cases and a checkpoint; the checkpoint files are backed up with the dump
    open_at_dump = [services.case_start(user=people["contact_handler"],
                                        data=factories.sample("enquiry")) for _ in range(2)]
    call_command("audit_checkpoint", stdout=StringIO())
    backed_up = tmp_path / "checkpoints-with-the-dump"
    shutil.copytree(live_checkpoints, backed_up)

    # when: pg_dump runs while another thread keeps starting cases
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_start_cases_until,
                              args=(stop, people["contact_handler"], written))
    writer.start()
    args, env = _server_args(connection.settings_dict)
    dump = tmp_path / "disclosure.dump"
    try:
        subprocess.run(["pg_dump", *args, "--format=custom", f"--file={dump}",
                        connection.settings_dict["NAME"]], env=env, check=True,
                       capture_output=True, timeout=120)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert written, "the writer started no case while the dump ran"
    # and work goes on after the dump, with the next scheduled checkpoint
    services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    call_command("audit_checkpoint", stdout=StringIO())
    live_rows = AccessLog.objects.count()

    # and the dump is restored into a fresh database with the server's own tool
    subprocess.run(["pg_restore", *args, "--no-owner", "--exit-on-error",
                    f"--dbname={restored_name}", str(dump)], env=env, check=True,
                   capture_output=True, timeout=120)
    restored = _url(connection.settings_dict, restored_name)

    # then: against the checkpoints backed up with the dump, the restored log is intact
    checked = _manage(restored, backed_up, "audit_verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Access log intact" in checked.stdout
    assert "matches the signed checkpoint of" in checked.stdout

    # and against the live checkpoints it shows as a truncation, naming the checkpoint it matches
    checked = _manage(restored, live_checkpoints, "audit_verify")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "TRUNCATED: the log holds" in checked.stdout
    assert f"recorded {live_rows}" in checked.stdout
    assert "The log matches the earlier checkpoint of" in checked.stdout

    # when: the operator records the restore, the log verifies against the live checkpoints
    recorded = _manage(restored, live_checkpoints, "audit_checkpoint", "--after-restore")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "Restore recorded" in recorded.stdout
    checked = _manage(restored, live_checkpoints, "audit_verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # and a case that was open at the dump goes on to its next task in the restored database
    reference = open_at_dump[0].reference
    carried = _manage(restored, live_checkpoints, "shell", "-c",
                      CONTINUE.format(reference=reference))
    assert carried.returncode == 0, carried.stdout + carried.stderr
    step = json.loads(carried.stdout.strip().splitlines()[-1])
    assert step["status"] == CaseStatus.OPEN and step["next"] and step["done"] not in step["next"]
    # the live database never saw that step
    assert Case.objects.get(reference=reference).tasks.filter(
        state=TaskState.READY, name=step["done"]).exists()
    assert _manage(restored, live_checkpoints, "audit_checkpoint").returncode == 0
