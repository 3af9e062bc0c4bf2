"""Suite-wide settings: keep SpiffWorkflow's chatty INFO logging (with task data) out of tests."""

import logging

logging.getLogger("spiff").setLevel(logging.WARNING)


import itertools  # noqa: E402

import pytest  # noqa: E402

from tests.slowest_first import (  # noqa: E402, F401 - pytest finds these hooks by name
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_sessionfinish,
)

_checkpoint_dirs = itertools.count()


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs a worker per core and one more) each worker has
    its own test database (pytest-django adds ``_gw0``, ``_gw1``...); give it its own broker
    keys too. CI names one
    Redis database for the run, and a Celery worker started by a test (tests/webapp/
    test_timer_workers.py) must take only its own pytest worker's tasks: they name cases of that
    worker's database. kombu's ``global_keyprefix`` puts every queue of this worker under
    ``<worker id>:``; the environment carries it to the workers a test starts."""
    import json
    import os

    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not settings.configured or not str(
            settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
        return
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{worker}:"}
    os.environ["CELERY_BROKER_TRANSPORT_OPTIONS"] = json.dumps(options)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options


def _template_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory):
    """Kept between runs in pytest's cache when there is one (a warm run copies, never
    migrates); otherwise shared by this run's xdist workers."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return cache.mkdir("sqlite-templates")
    return tmp_path_factory.getbasetemp().parent / "sqlite-templates"


@pytest.fixture(scope="session")
def sqlite_templates(request, tmp_path_factory):
    """Where the migrated SQLite templates (tests/database_template.py) are kept."""
    return _template_folder(request.config, tmp_path_factory)


@pytest.fixture(scope="session")
def migrated_sqlite(sqlite_templates):
    """The migrated SQLite file every SQLite test database is filled from, for tests that
    start a real process on a database of its own: copy it (``database_template.copy_to``)
    rather than migrating."""
    from tests.database_template import migrated

    return migrated(sqlite_templates)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, request, tmp_path_factory):
    """SQLite test databases are filled from a migrated template instead of being migrated
    by every xdist worker (tests/database_template.py). PostgreSQL is untouched."""
    from django.db.backends.sqlite3.creation import DatabaseCreation

    from tests.database_template import sqlite_in_memory_from_template

    folder = _template_folder(request.config, tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseCreation, "create_test_db", sqlite_in_memory_from_template(folder))
        yield


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes():
    """Tests make hundreds of accounts; Django's PBKDF2 (a million rounds, about 0.3 s a hash
    here) made account set-up most of the suite's time. New hashes in tests are MD5; the other
    hashers stay listed, so a PBKDF2 hash made elsewhere still checks. What tests check is who
    may sign in, never the hash's strength (that is Django's, and production's settings)."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher",
                                             *settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True)
def _forget_cached_versions():
    """Versions are cached by primary key (immutable, never reused in a real database); test
    databases roll back and reuse keys, so each test starts with an empty cache."""
    from webapp.processes import registry

    registry._by_version.clear()
    yield
    registry._by_version.clear()


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch):
    """``Client.force_login`` stands for a finished sign-in: password and second factor (a
    local account's session is otherwise held at the code page). Tests of the second factor
    itself sign in through the pages."""
    from django.test import Client

    from tests.factories import second_factor_given

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        second_factor_given(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


class _Editor:
    """What the trigger migration's functions use of a schema editor."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


def _triggers():
    import importlib

    return importlib.import_module("webapp.audit.migrations.0002_append_only")


class _lift_append_only:  # noqa: N801 - used like a function: `with _lift_append_only():`
    """Drop the access log's triggers for a block, as a database superuser could."""

    def __enter__(self) -> None:
        _triggers().down(None, _Editor())

    def __exit__(self, *exc: object) -> None:
        _triggers().up(None, _Editor())


@pytest.fixture(autouse=True)
def _audit_log_append_only(request, _django_db_helper):
    """The access log's append-only triggers must not stop pytest-django from emptying the
    database after a transactional test: lift them for that flush, restore them before the next
    test (they are always in force while a test runs)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    uses_db = marker is not None or "live_server" in request.fixturenames
    if not uses_db:
        yield
        return
    triggers = _triggers()
    triggers.down(None, _Editor())
    triggers.up(None, _Editor())
    yield
    if transactional:
        triggers.down(None, _Editor())


@pytest.fixture(autouse=True)
def _audit_checkpoints_apart(settings, tmp_path_factory):
    """Each test's access-log checkpoints go to a directory of its own (created when first
    written), never the developer's var/ nor another test's: they describe one database."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path_factory.getbasetemp() / "audit-checkpoints"
                                        / str(next(_checkpoint_dirs)))


@pytest.fixture(autouse=True)
def _attachments_apart(settings, tmp_path_factory):
    """Case documents uploaded in a test go to a directory of their own, never var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "attachments"
                              / str(next(_checkpoint_dirs)))
