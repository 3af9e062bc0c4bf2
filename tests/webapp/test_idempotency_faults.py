"""Faults lose nothing: a process killed while handling an Idempotency-Key request leaves no
key stuck "in progress"; a retry replays the real result or runs once (SQLite and PostgreSQL).

The requests run in child processes that SIGKILL themselves at a chosen point (see
``crashing_client``), so the database sees a real crash: an open transaction on a dropped
connection, or a commit with no response ever sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.database_template import copy_to

AFTER_LEASE = settings.IDEMPOTENCY_LEASE_SECONDS + 5


def _postgres_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


pytestmark = pytest.mark.slow


def _child(*args: str, url: str) -> dict | None:
    """Run ``crashing_client``: its answer, or None if it died by SIGKILL."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.webapp.crashing_client", *args], cwd=factories.ROOT,
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=180,
        check=False)
    if done.returncode == -signal.SIGKILL:
        return None
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory, migrated_sqlite) -> tuple[Path, str]:
    """A migrated SQLite file with a force and a token (made once). It starts as a copy of the
    suite's migrated template, so the setup's own migrate finds nothing left to apply."""
    path = copy_to(migrated_sqlite, tmp_path_factory.mktemp("crash") / "template.sqlite3")
    return path, _child("setup", url=f"sqlite:///{path}")["token"]


class Child:
    """Requests made by child processes sharing one database."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def post(self, key: str, fault: str = "none", later: float = 0) -> dict | None:
        return _child("post", self.token, key, fault, str(later), url=self.url)

    def cases(self) -> int:
        return _child("count", url=self.url)["cases"]


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")]),
])
def child(request, tmp_path) -> Child:
    if request.param == "sqlite":
        template, token = request.getfixturevalue("sqlite_template")
        path = tmp_path / "crash.sqlite3"
        shutil.copy(template, path)
        return Child(f"sqlite:///{path}", token)
    url = _postgres_url()
    return Child(url, _child("setup", url=url)["token"])


def test_a_retry_after_a_crash_before_commit_runs_once(child):
    # given a request whose process is killed with the case written but not committed
    assert child.post("enquiry-1", fault="before_commit") is None
    assert child.cases() == 0

    # a retry at once is told the first try may still be running, and when to come back
    busy = child.post("enquiry-1")
    assert busy["status"] == 409 and busy["code"] == "in_progress" and busy["retry_after"]

    # a retry after that runs the request once
    retry = child.post("enquiry-1", later=AFTER_LEASE)
    assert retry["status"] == 201 and retry["replayed"] is None
    assert child.cases() == 1
    again = child.post("enquiry-1", later=AFTER_LEASE + 1)
    assert again["replayed"] == "true" and again["reference"] == retry["reference"]
    assert child.cases() == 1


def test_a_retry_after_a_crash_after_commit_replays_the_saved_enquiry(child):
    # given a request whose process is killed after its enquiry was saved, before it answered
    assert child.post("enquiry-2", fault="after_commit") is None
    assert child.cases() == 1

    retry = child.post("enquiry-2")

    assert retry["status"] == 201 and retry["replayed"] == "true"
    assert retry["reference"].startswith("HRT-")
    assert child.cases() == 1  # the enquiry was not recorded twice


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server(port: int, **env: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=factories.ROOT, env={**os.environ, "DATABASE_URL": _postgres_url(), **env},
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urlopen(f"http://127.0.0.1:{port}/api/v1/cases", timeout=2)  # noqa: S310
        except HTTPError:
            return server  # it answers (401 without a token)
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _enquire(port: int, token: str, key: str) -> tuple[int, dict, dict]:
    request = Request(  # noqa: S310 - a local test server
        f"http://127.0.0.1:{port}/api/v1/enquiries", method="POST",
        data=json.dumps({"data": factories.sample("enquiry")}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": key})
    try:
        with urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, json.loads(response.read()), dict(response.headers)
    except HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def _enquire_until_killed(port: int, token: str, key: str) -> None:
    with contextlib.suppress(OSError):  # the server dies without answering
        _enquire(port, token, key)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_killing_the_server_mid_request_leaves_no_key_stuck_in_progress():
    import psycopg

    from webapp.api.auth import token_create
    from webapp.audit.log import record
    from webapp.cases.models import Case

    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("live.contact", hrt, "contact_handler")
    _, token = token_create(user=contact, name="records system")
    record(actor=None, operation="consult", object_type="test", object_id="start")
    port = _free_port()
    server = _server(port, IDEMPOTENCY_LEASE_SECONDS="3")
    # given the first try stuck inside its transaction (the access log's head is locked here),
    # its case written but not committed
    blocker = psycopg.connect(_postgres_url().replace("postgres://", "postgresql://"))
    blocker.execute("SELECT id FROM audit_chainhead FOR UPDATE")
    first = threading.Thread(target=_enquire_until_killed, args=(port, token, "live-1"),
                             daemon=True)
    first.start()
    try:
        deadline = time.monotonic() + 60
        while _waiting_on_a_lock() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _waiting_on_a_lock() == 1
        # a duplicate while it is genuinely in flight is told so
        status, body, headers = _enquire(port, token, "live-1")
        assert status == 409 and body["code"] == "in_progress" and headers["Retry-After"]
        # when the server process is killed
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    first.join(timeout=30)
    time.sleep(3.5)  # the killed try's claim lapses after its 3-second lease
    assert Case.objects.count() == 0  # its transaction died with it

    # then a retry on a new server records the enquiry once
    server = _server(port)
    try:
        status, body, _ = _enquire(port, token, "live-1")
        again_status, again, headers = _enquire(port, token, "live-1")
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    assert status == 201 and again_status == 201 and headers["Idempotent-Replayed"] == "true"
    assert again["reference"] == body["reference"]
    assert Case.objects.count() == 1
