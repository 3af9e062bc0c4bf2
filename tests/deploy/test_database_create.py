"""`make run` against a PostgreSQL database that does not exist creates it, or says the one
command to run; never a traceback (webapp.database_create, run by bin/serve --setup)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = "postgres://postgres@127.0.0.1:5432"


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _ensure(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "3"}
    return subprocess.run([sys.executable, "-m", "webapp.database_create"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def _exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


@pytest.mark.skipif(not _postgres_up(), reason="needs PostgreSQL on 127.0.0.1:5432")
def test_a_missing_database_is_created_and_a_second_run_leaves_it_alone():
    import psycopg

    name = f"dw_create_{uuid.uuid4().hex[:8]}"
    try:
        first = _ensure(f"{SERVER}/{name}")
        assert first.returncode == 0, first.stderr
        assert f"created the database {name}" in first.stderr
        assert _exists(name)
        second = _ensure(f"{SERVER}/{name}")
        assert second.returncode == 0 and "created" not in second.stderr
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_an_unreachable_server_gets_one_sentence_and_the_command_not_a_traceback():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = _ensure(f"postgres://disclosure@127.0.0.1:{port}/disclosure")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"could not connect to PostgreSQL on 127.0.0.1:{port}" in done.stderr
    assert f"createdb -h 127.0.0.1 -p {port} -U disclosure disclosure" in done.stderr


def test_make_runs_setup_stops_with_the_command_before_migrating(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"postgres://disclosure@127.0.0.1:{port}/disclosure",
           "DB_CONNECT_TIMEOUT": "3", "SERVE_VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "bin/serve", "--setup"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"createdb -h 127.0.0.1 -p {port} -U disclosure disclosure" in done.stderr
    assert "migrate" not in done.stderr  # it stopped before migrating
