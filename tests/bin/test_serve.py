"""`bin/serve` (what `make run` starts): every child stops with its parent, whatever stops it,
and a worker that dies is started again.

Each test starts the real script on a free port with a SQLite database (a copy of the suite's
migrated template) and embedded broker, waits until the web server answers, then stops the
parent and looks for survivors. The one test that only looks at a running copy leaves it for
the next test to stop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.database_template import copy_to, demo_seeded

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "bin" / "serve"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux processes")]


def _environment(where: Path, database: Path) -> dict[str, str]:
    """bin/serve's environment on a copy of ``database`` (a migrated template: copying it
    takes milliseconds, migrating took 10–20 s) in ``where``."""
    copy_to(database, where / "db.sqlite3")
    return {**os.environ, "DATABASE_URL": f"sqlite:///{where / 'db.sqlite3'}",
            "CELERY_BROKER_URL": f"embedded+sqlite:///{where / 'broker.sqlite3'}",
            "SERVE_VAR_DIR": str(where / "var"), "TIMER_SWEEP_SECONDS": "1",
            "DJANGO_SETTINGS_MODULE": "webapp.settings"}


@pytest.fixture(scope="module")
def environment(tmp_path_factory, migrated_sqlite) -> dict[str, str]:
    return _environment(tmp_path_factory.mktemp("serve"), migrated_sqlite)


@pytest.fixture
def seeded_environment(tmp_path, sqlite_templates) -> dict[str, str]:
    """A database with the demo data already loaded, so that ``--setup`` (which loads it when
    missing) finds it there, as on every `make run` after the first: loading it took 30 s."""
    return _environment(tmp_path / "seeded", demo_seeded(sqlite_templates))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _celery_children(parent: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in parent.children():
        try:
            if "celery" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _has_children(process: psutil.Process) -> bool:
    try:
        return bool(process.children())
    except psutil.NoSuchProcess:
        return False


def _wait_for(check, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """bin/serve in its own session, with every process it started."""

    def __init__(self, environment: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [str(SERVE)], cwd=ROOT, env={**environment, "PORT": str(self.port)},
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=log.open("wb"),
            stderr=subprocess.STDOUT)
        self.parent = psutil.Process(self.process.pid)
        self.seen: dict[int, psutil.Process] = {}
        _wait_for(lambda: _answers(self.port), 90, "the web server to answer")
        _wait_for(lambda: _celery_children(self.parent), 30, "the worker")
        # and the worker's own processes (its pool, beat): noted only once they exist, so that
        # a test counts them and a failed test's clean-up kills them too
        _wait_for(lambda: any(_has_children(w) for w in _celery_children(self.parent)), 30,
                  "the worker's pool and beat")
        self.note_descendants()

    def note_descendants(self) -> list[psutil.Process]:
        found = self.parent.children(recursive=True)
        self.seen.update({p.pid: p for p in found})
        return found

    def survivors(self, timeout: float) -> list[psutil.Process]:
        _, alive = psutil.wait_procs(list(self.seen.values()), timeout=timeout)
        return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    def kill_everything(self) -> None:
        for process in [*self.seen.values(), self.parent]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def spare() -> Iterator[list[Running]]:
    """A copy a test only looked at and left running: the next test that stops a copy takes it
    rather than starting one (each start took 10–15 s)."""
    left: list[Running] = []
    yield left
    for running in left:
        running.kill_everything()


@pytest.fixture
def serve(environment, tmp_path, spare):
    started: list[Running] = []

    def start() -> Running:
        if spare:
            running = spare.pop()
            if running.process.poll() is None and _answers(running.port):
                started.append(running)
                return running
            running.kill_everything()
        started.append(Running(environment, tmp_path / f"serve{len(started)}.log"))
        return started[-1]

    yield start
    for running in started:
        running.kill_everything()


@pytest.fixture
def running_copy(environment, tmp_path, spare) -> Running:
    """A running copy for a test that leaves it running: kept for the next test that stops one."""
    if not spare:
        spare.append(Running(environment, tmp_path / "serve.log"))
    return spare[0]


def test_a_second_run_refuses_before_touching_the_database(running_copy, environment):
    # given: a running copy (left running for the next test, which stops it)
    running = running_copy
    # when: a second copy is started with the setup steps (as a second `make run` does)
    second = subprocess.run([str(SERVE), "--setup"], cwd=ROOT, capture_output=True, text=True,
                            env={**environment, "PORT": str(_free_port())}, timeout=60,
                            check=False)
    # then: it says so and stops at once, without migrating or loading the demo data
    assert second.returncode == 1
    assert "already running" in second.stdout + second.stderr
    assert "Operations to perform" not in second.stdout and "Demo data" not in second.stdout
    assert _answers(running.port)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGHUP", "SIGINT", "SIGKILL"])
def test_every_child_stops_with_the_parent(serve, sig):
    # given: the web server answers and the worker (with beat and its pool) is running
    running = serve()
    children = running.note_descendants()
    assert len(children) >= 3  # web, worker and at least one of the worker's own processes
    # when: the parent is stopped (Ctrl-C, kill, a closed terminal, or killed outright)
    os.kill(running.process.pid, sig)
    running.process.wait(timeout=30)
    # then: no child or grandchild is left behind, and the port is free again
    assert running.survivors(timeout=30) == []
    assert not _answers(running.port)


def test_a_worker_killed_outright_is_started_again(serve):
    running = serve()
    [worker] = _celery_children(running.parent)
    worker_group = {p.pid for p in running.note_descendants()
                    if p.pid != worker.pid and os.getpgid(p.pid) == worker.pid}
    worker.kill()
    restarted = _wait_for(lambda: [p for p in _celery_children(running.parent)
                                   if p.pid != worker.pid], 30, "a new worker")
    assert len(restarted) == 1
    # what the dead worker left (its pool process, beat) does not linger beside the new one
    _, alive = psutil.wait_procs([psutil.Process(pid) for pid in worker_group
                                  if psutil.pid_exists(pid)], timeout=15)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    assert _answers(running.port)
    running.note_descendants()
    os.kill(running.process.pid, signal.SIGTERM)
    running.process.wait(timeout=30)
    assert running.survivors(timeout=30) == []


def test_killing_the_web_server_stops_the_worker_and_the_parent(serve):
    running = serve()
    [web] = [p for p in running.parent.children() if "runserver" in " ".join(p.cmdline())]
    web.kill()
    assert running.process.wait(timeout=30) != 0
    assert running.survivors(timeout=30) == []



def _still_running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_killing_the_make_that_started_it_stops_everything(seeded_environment, tmp_path):
    # given: bin/serve --setup started by a parent that stays (as make stays while its recipe runs)
    port = _free_port()
    make = subprocess.Popen(["sh", "-c", f"{SERVE} --setup; true"], cwd=ROOT,
                            env={**seeded_environment, "PORT": str(port)},
                            start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=(tmp_path / "serve.log").open("wb"),
                            stderr=subprocess.STDOUT)
    shell = psutil.Process(make.pid)
    everything: list[psutil.Process] = []
    try:
        _wait_for(lambda: _answers(port), 120, "the web server to answer")
        [serve] = shell.children()
        _wait_for(lambda: _celery_children(serve), 30, "the worker")
        everything += [serve, *serve.children(recursive=True)]

        # when: that parent alone is killed (make killed, its terminal still open)
        shell.kill()
        make.wait(timeout=10)

        # then: the supervisor is told, and nothing it started is left behind
        _, alive = psutil.wait_procs(everything, timeout=30)
        assert [p for p in alive if _still_running(p)] == []
        assert not _answers(port)
    finally:
        for process in [shell, *everything]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
