"""PostgreSQL session settings passed when a connection opens: the statement and lock-wait
time limits that stop one stuck query from holding a web or worker process."""

from __future__ import annotations


def postgres_timeouts(*, statement_seconds: float, lock_seconds: float, given: str = "") -> str:
    """libpq ``options`` with ``statement_timeout`` and ``lock_timeout`` (milliseconds) added to
    ``given`` (options already in DATABASE_URL); a limit of 0 or less is left out, so the
    server's or the database role's own setting applies."""
    parts = [given.strip()] if given.strip() else []
    for name, seconds in (("statement_timeout", statement_seconds),
                          ("lock_timeout", lock_seconds)):
        if seconds > 0:
            parts.append(f"-c {name}={max(1, round(seconds * 1000))}")
    return " ".join(parts)
