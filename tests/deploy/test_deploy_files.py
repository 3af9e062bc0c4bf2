"""The deployment files are sound: gunicorn accepts its config and its hooks keep the
Prometheus directory right, systemd accepts the units, the Procfile has exactly one beat."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.mark.skipif(not GUNICORN.exists(), reason="needs gunicorn")
def test_gunicorn_accepts_its_config_and_reads_the_worker_count_from_the_environment():
    env = {**os.environ, "WEB_CONCURRENCY": "3"}
    done = subprocess.run([str(GUNICORN), "--print-config", "-c", "deploy/gunicorn.conf.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    settings = {key.strip(): value.strip() for key, value in
                (line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)}
    assert settings["workers"] == "3"
    assert settings["wsgi_app"] == "webapp.wsgi:application"


def test_the_gunicorn_hooks_empty_the_metrics_directory_and_forget_dead_workers(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    (tmp_path / "counter_999.db").write_bytes(b"left by the last run")
    config["on_starting"](None)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    config["child_exit"](None, SimpleNamespace(pid=4242))
    assert not (tmp_path / "gauge_livesum_4242.db").exists()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    units = ROOT / "deploy" / "systemd"
    for unit in units.iterdir():
        shutil.copy(unit, tmp_path / unit.name)
    shutil.copy(units / "disclosure-web@.service", tmp_path / "disclosure-web@8000.service")
    shutil.copy(units / "disclosure-worker@.service", tmp_path / "disclosure-worker@1.service")
    names = ["disclosure-web@8000.service", "disclosure-worker@1.service",
             "disclosure-beat.service"]
    done = subprocess.run(["systemd-analyze", "verify", "--man=no",
                           *(str(tmp_path / n) for n in names)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    problems = [line for line in done.stderr.splitlines()
                if line.strip() and "is not executable" not in line]  # /opt/disclosure here
    assert problems == []


def test_the_procfile_has_web_worker_and_exactly_one_beat():
    from honcho.environ import parse_procfile

    procfile = parse_procfile((ROOT / "Procfile").read_text())
    assert list(procfile.processes) == ["web", "worker", "beat"]
    assert "deploy/gunicorn.conf.py" in procfile.processes["web"]
    beats = [name for name, cmd in procfile.processes.items() if " beat" in cmd]
    assert beats == ["beat"]
