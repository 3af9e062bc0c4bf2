"""On PostgreSQL every connection opens with a statement time limit and a lock-wait limit, so
that one stuck query cannot hold a web or worker process: a query running past the limit, or
waiting past the lock limit, is cancelled with an error instead of hanging."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper

from webapp.database_options import postgres_timeouts

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="PostgreSQL's own settings")


def _connection_with(*, statement_seconds: float, lock_seconds: float) -> DatabaseWrapper:
    """A new connection to the test database, opened the way the settings open one, with the
    given limits."""
    options = {**connection.settings_dict["OPTIONS"],
               "options": postgres_timeouts(statement_seconds=statement_seconds,
                                            lock_seconds=lock_seconds)}
    return DatabaseWrapper({**connection.settings_dict, "OPTIONS": options})


def _show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@on_postgres
@pytest.mark.django_db
def test_connections_open_with_the_configured_limits():
    options = settings.DATABASES["default"]["OPTIONS"]["options"]
    assert "-c statement_timeout=" in options and "-c lock_timeout=" in options
    statement_ms = int(options.split("statement_timeout=")[1].split()[0])
    lock_ms = int(options.split("lock_timeout=")[1].split()[0])
    assert _show("statement_timeout") == (f"{statement_ms // 1000}s" if statement_ms % 1000 == 0
                                          else f"{statement_ms}ms")
    assert _show("lock_timeout") == (f"{lock_ms // 1000}s" if lock_ms % 1000 == 0
                                     else f"{lock_ms}ms")


@on_postgres
@pytest.mark.django_db
def test_a_query_running_past_the_statement_limit_is_cancelled():
    short = _connection_with(statement_seconds=0.2, lock_seconds=10)
    try:
        with pytest.raises(OperationalError) as raised, short.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(30)")
        assert raised.value.__cause__.sqlstate == "57014"  # query_canceled
        assert "statement timeout" in str(raised.value)
    finally:
        short.close()


@on_postgres
@pytest.mark.django_db
def test_a_lock_waited_for_past_the_lock_limit_is_given_up():
    holder = _connection_with(statement_seconds=30, lock_seconds=10)
    waiter = _connection_with(statement_seconds=30, lock_seconds=0.2)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(150093)")
        with pytest.raises(OperationalError) as raised, waiter.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(150093)")
        assert raised.value.__cause__.sqlstate == "55P03"  # lock_not_available
        assert "lock timeout" in str(raised.value)
    finally:
        holder.close()
        waiter.close()


def test_a_limit_of_zero_leaves_the_servers_own_setting():
    assert postgres_timeouts(statement_seconds=0, lock_seconds=0) == ""
    assert postgres_timeouts(statement_seconds=30, lock_seconds=0, given="-c search_path=dw") \
        == "-c search_path=dw -c statement_timeout=30000"
