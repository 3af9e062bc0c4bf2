"""A migrated SQLite database made once and copied, instead of migrating for every database a
run needs: each pytest-xdist worker's test database, and each database a test hands to a real
process (``bin/serve``, a crashing client). Migrating took 6 s here at a load of 3 and 21 s at
a load of 5 (each xdist worker paid it); copying the file takes milliseconds.

The template is named by a hash of what migrating reads (every migration module Django loads,
the project modules those import, the installed apps and Django's version), so a changed
migration makes a new one. It is built by the first worker that needs it, under a file lock,
into a temporary file renamed into place, so another worker waits and then copies a complete
file. PostgreSQL is left to Django's own test-database creation.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_PROJECT_IMPORT = re.compile(r"^\s*(?:from|import)\s+(webapp(?:\.\w+)*)", re.MULTILINE)


def _migration_files() -> list[Path]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    files = {Path(sys.modules[migration.__module__].__file__ or "")
             for migration in loader.disk_migrations.values()}
    for source in list(files):
        for module in _PROJECT_IMPORT.findall(source.read_text()):
            spec = importlib.util.find_spec(module)
            if spec and spec.origin:
                files.add(Path(spec.origin))
    return sorted(files)


def template_key(files: list[Path] | None = None) -> str:
    """What the migrated schema and rows depend on (``files``: the migration modules and what
    they import, found when not given), hashed."""
    import django
    from django.conf import settings

    digest = hashlib.sha256()
    digest.update(repr((django.__version__, list(settings.INSTALLED_APPS),
                        settings.AUTH_USER_MODEL, settings.MIGRATION_MODULES)).encode())
    for path in _migration_files() if files is None else files:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tree_key(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()
                           and "__pycache__" not in p.parts and p.suffix != ".pyc"):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template(folder: Path, name: str, build: Callable[[Path], None], key: str = "") -> Path:
    """``folder/<name>-<key>.sqlite3``, made by ``build(path)`` if it is not there yet. Older
    templates of the same name are removed once a new one is in place."""
    path = folder / f"{name}-{key or template_key()}.sqlite3"
    if path.exists():
        return path
    with _locked(path):
        if path.exists():  # another worker made it while this one waited
            return path
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        try:
            build(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
            for left in folder.glob(f"{partial.name}*"):  # the broker beside it, journals
                left.unlink(missing_ok=True)
        for old in folder.glob(f"{name}-*.sqlite3"):
            if old != path:
                old.unlink(missing_ok=True)
                old.with_suffix(".lock").unlink(missing_ok=True)
    return path


def _environment(path: Path) -> dict[str, str]:
    """Only the file ``path`` as the database, and an embedded broker beside it: what seeding
    enqueues names rows of that file, never for a test's broker (CI's Redis) to hand out."""
    return {**os.environ, "DATABASE_URL": f"sqlite:///{path}",
            "CELERY_BROKER_URL": f"embedded+sqlite:///{path}.broker"}


def _migrate_into(path: Path) -> None:
    """``manage.py migrate`` in a process of its own, on nothing but the file ``path``: the
    data migrations query the default database, which in this process may be a real one."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                   env=_environment(path), check=True)


def migrated(folder: Path) -> Path:
    """The migrated template in ``folder``, made now if missing."""
    return template(folder, "migrated", _migrate_into)


def demo_seeded(folder: Path) -> Path:
    """The migrated template with the demo data loaded (``manage.py seed_demo``, as ``bin/serve
    --setup`` loads it). The demo's dates count back from the day it is made, and its cases
    come from the web app's code and the scheme folders: all of these are in its name."""

    def build(path: Path) -> None:
        copy_to(migrated(folder), path)
        seeded = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT,
                                env=_environment(path),
                                capture_output=True, text=True, check=False)
        if seeded.returncode != 0:
            raise RuntimeError(f"seed_demo failed:\n{seeded.stdout}{seeded.stderr[-4000:]}")

    key = hashlib.sha256("/".join((
        template_key(), _tree_key(ROOT / "webapp", ROOT / "processes"),
        datetime.datetime.now(datetime.UTC).date().isoformat())).encode()).hexdigest()[:16]
    return template(folder, "demo", build, key)


def copy_to(source: Path, target: Path) -> Path:
    """A file copy of a template, for a process that opens the database itself."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def sqlite_in_memory_from_template(folder: Path) -> Callable[..., Any]:
    """A ``create_test_db`` for Django's SQLite backend: the in-memory test database is filled
    from the migrated template by SQLite's backup API (pages, indexes and triggers alike),
    where Django would migrate it. Everything else is as Django's: the database's name and
    settings, the serialized contents a ``serialized_rollback`` test asks for, the cache table.
    A file test database, or ``TEST: {"MIGRATE": False}``, goes to Django's own method."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db.backends.sqlite3.creation import DatabaseCreation

    original = DatabaseCreation.create_test_db

    def create_test_db(self: DatabaseCreation, verbosity: int = 1, autoclobber: bool = False,
                       serialize: bool = True, keepdb: bool = False) -> str:
        name = self._get_test_db_name()
        if (not self.is_in_memory_db(name)
                or self.connection.settings_dict["TEST"].get("MIGRATE") is False):
            return original(self, verbosity, autoclobber, serialize, keepdb)
        alias = self.connection.alias
        source = migrated(folder)
        if verbosity >= 1:
            self.log(f"Creating test database for alias '{alias}' from {source.name}...")
        self.connection.close()
        settings.DATABASES[alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        template_db = sqlite3.connect(source)
        try:
            template_db.backup(self.connection.connection)
        finally:
            template_db.close()
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=alias)
        self.connection.ensure_connection()
        return name

    return create_test_db
