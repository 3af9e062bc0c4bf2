"""The migrated SQLite template (tests/database_template.py): named by what migrating reads,
made once however many workers ask for it at the same time, and replaced when that changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.database_template import template, template_key


def test_the_key_follows_every_migration_file_and_what_they_import():
    found = template_key()
    assert found == template_key()
    files = sorted((Path(__file__).resolve().parents[1] / "webapp").glob("*/migrations/0001_*.py"))
    assert files and template_key(files) != found
    assert template_key(files) != template_key(files[:-1])


def test_a_changed_migration_changes_the_key(tmp_path):
    migration = tmp_path / "0001_initial.py"
    migration.write_text("operations = []\n")
    before = template_key([migration])
    migration.write_text("operations = ['changed']\n")
    assert template_key([migration]) != before


def test_a_worker_asking_while_another_builds_waits_and_gets_the_whole_file(tmp_path):
    builds: list[Path] = []
    found: list[Path] = []
    second = threading.Thread(target=lambda: found.append(template(tmp_path, "t", build, "k")))

    def build(path: Path) -> None:
        builds.append(path)
        path.write_bytes(b"half")
        second.start()  # a second worker asks while the first is still building
        second.join(timeout=0.5)
        assert second.is_alive() and not found  # it waits for the lock, no copy of "half"
        path.write_bytes(b"half and the rest")

    first = template(tmp_path, "t", build, "k")
    second.join()
    assert found == [first] == [tmp_path / "t-k.sqlite3"]
    assert len(builds) == 1 and builds[0].name != first.name  # built aside, then renamed
    assert first.read_bytes() == b"half and the rest"
    assert [p.name for p in tmp_path.glob("*.sqlite3")] == ["t-k.sqlite3"]


def test_a_new_key_replaces_the_old_template_and_a_failed_build_leaves_nothing(tmp_path):
    template(tmp_path, "t", lambda path: path.write_bytes(b"old"), "old")
    template(tmp_path, "t", lambda path: path.write_bytes(b"new"), "new")
    assert [p.name for p in tmp_path.glob("*.sqlite3")] == ["t-new.sqlite3"]

    def fails(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("migrate failed")

    with pytest.raises(RuntimeError):
        template(tmp_path, "t", fails, "broken")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "t-new.sqlite3"]
