"""The embedded broker (the default when no broker server is named) under concurrent use:
processes that start together, producers racing a consumer, and a worker firing due timers
through it without dying. bench/embedded_broker.py runs the long version (10,000 timers)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
PRODUCER = """
import sys
from webapp.celery import app
with app.connection_for_write() as connection:
    for i in range(int(sys.argv[1])):
        app.send_task("tests.ping", args=[sys.argv[2], i], connection=connection)
"""


def _url(path: Path) -> str:
    return f"embedded+sqlite:///{path}"


def test_the_default_broker_needs_no_server_and_lives_under_var():
    # the default, as `make run` gets it: no broker named in the environment (CI names Redis)
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    default = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
                               "settings; print(settings.CELERY_BROKER_URL)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "webapp.settings"}, capture_output=True,
        text=True, check=True).stdout.strip()
    assert default.startswith("embedded+sqlite:///")
    assert default.endswith("/var/broker.sqlite3")


def test_processes_starting_together_all_deliver_every_message_once(tmp_path):
    # given: a broker file nobody has used yet, and eight processes starting at once
    url = _url(tmp_path / "broker.sqlite3")
    env = {**os.environ, "CELERY_BROKER_URL": url}
    producers = [subprocess.Popen([sys.executable, "-c", PRODUCER, "50", str(p)], cwd=ROOT,
                                  env=env, stderr=subprocess.PIPE) for p in range(8)]
    # when: a consumer drains the queue while they write
    received: list[tuple[str, int]] = []
    import webapp.embedded_broker  # noqa: F401 - registers the scheme in this process

    with Connection(url) as connection:
        queue = connection.SimpleQueue("celery", no_ack=True)
        while len(received) < 400:  # noqa: PLR2004
            try:
                message = queue.get(timeout=60)
            except queue.Empty:
                break
            received.append(tuple(message.payload[0]))
        queue.close()
    errors = [p.communicate(timeout=60)[1].decode() for p in producers]
    # then: every producer succeeded, and each message arrived exactly once
    assert [p.returncode for p in producers] == [0] * 8, errors
    assert sorted(received) == sorted((str(p), i) for p in range(8) for i in range(50))


def test_a_consumer_waits_for_a_message_being_written_and_then_reads_it_whole(tmp_path):
    import webapp.embedded_broker  # noqa: F401 - registers the scheme in this process

    path = tmp_path / "broker.sqlite3"
    with Connection(_url(path)) as producer:
        queue = producer.SimpleQueue("celery", no_ack=True)
        queue.put({"n": 1})  # creates the tables and the queue row
        queue.get(timeout=5)
        queue.put({"n": 2})
        queue.close()
    raw = sqlite3.connect(path, isolation_level=None, timeout=30)
    row = raw.execute("SELECT payload, queue_id, timestamp FROM kombu_message").fetchone()
    raw.execute("DELETE FROM kombu_message")
    # given: a producer that has begun writing that message and not yet committed it
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("INSERT INTO kombu_message (visible, payload, version, queue_id, timestamp) "
                "VALUES (1, ?, 1, ?, ?)", row)
    got: list[object] = []

    def consume() -> None:
        try:
            with Connection(_url(path)) as consumer:
                waiting = consumer.SimpleQueue("celery", no_ack=True)
                got.append(waiting.get(timeout=20).payload)
                waiting.close()
        except Exception as exc:  # noqa: BLE001 - the test reports whatever the consumer raised
            got.append(exc)

    reader = threading.Thread(target=consume)
    reader.start()
    # when: a consumer asks meanwhile; then the producer finishes
    reader.join(timeout=1.5)
    assert got == []  # it waits: it neither fails nor reads a half-written message
    raw.execute("COMMIT")
    reader.join(timeout=30)
    # then: it reads the message whole
    assert got == [{"n": 2}]


def test_the_file_system_queue_reads_a_message_still_being_written_and_fails(tmp_path):
    """Why the earlier default's worker died: kombu's file-system producer creates the message
    file before it writes it, and a consumer that comes between reads nothing."""
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path),
               "processed_folder": str(tmp_path), "control_folder": str(tmp_path)}
    (tmp_path / "1_00000000-0000-0000-0000-000000000000.celery.msg").write_bytes(b"")
    with Connection("filesystem://", transport_options=folders) as consumer:
        queue = consumer.SimpleQueue("celery", no_ack=True)
        with pytest.raises(json.JSONDecodeError):
            queue.get(timeout=1)
        queue.close()


@pytest.mark.slow
def test_a_worker_fires_due_timers_through_the_embedded_broker_without_dying(tmp_path):
    # 300 due timers, and 4 producers pushing 250 sweep messages each meanwhile
    result = subprocess.run(
        [sys.executable, "bench/embedded_broker.py", "--cases", "300", "--producers", "4",
         "--messages", "250", "--dir", str(tmp_path / "bench"), "--timeout", "240", "--no-doc"],
        cwd=ROOT, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["fired"], figures["duplicates"], figures["missed"]) == (300, 0, 0)
    assert (figures["worker_deaths"], figures["unrecoverable_errors"]) == (0, 0)
    assert figures["producers_failed"] == 0
