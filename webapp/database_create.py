"""Create the PostgreSQL database named by DATABASE_URL when it does not exist yet.

``python -m webapp.database_create`` (``make run`` and ``bin/topology`` run it before
migrating). It exits 0 when the database is there (already, or created now), and 1 with one
plain sentence and the one command to run, never a traceback, when it cannot: the server does
not answer, or the role may not create databases. SQLite needs nothing: the file is created on
first use.
"""

from __future__ import annotations

import os
import sys
import warnings


def _say(message: str) -> None:
    print(f"[database] {message}", file=sys.stderr, flush=True)


def _createdb_command(settings: dict) -> str:
    parts = ["createdb"]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if settings.get(key):
            parts += [flag, str(settings[key])]
    return " ".join([*parts, str(settings["NAME"])])


def database_ensure() -> int:
    """Return 0 when the default database can be connected to (creating it if need be)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return 0
    settings = connection.settings_dict
    name = settings["NAME"]
    try:
        connection.ensure_connection()
        return 0
    except DatabaseError:
        pass  # missing, or the server is down: the maintenance database tells which
    where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}"
    warnings.simplefilter("ignore", RuntimeWarning)  # Django's note on its fallback database
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                _say(f"the database {name} exists on {where} but refused the connection; "
                     "check the user and password in DATABASE_URL")
                return 1
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    except DatabaseError as exc:
        if "permission" in str(exc).lower():
            _say(f"the database {name} does not exist on {where} and this user may not create "
                 f"databases; a PostgreSQL administrator can run: {_createdb_command(settings)}")
        else:
            _say(f"could not connect to PostgreSQL on {where}: start it, or correct the host, "
                 f"user and password in DATABASE_URL. If the database {name} is missing, "
                 f"create it with: {_createdb_command(settings)}")
        return 1
    _say(f"created the database {name} on {where}")
    return 0


if __name__ == "__main__":
    sys.exit(database_ensure())
