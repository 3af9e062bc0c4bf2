"""CPU time of this process and of its PostgreSQL backend, for ratios a busy machine cannot skew.

Wall-clock rates on a machine shared with other work fall with the load (a run at a load
average of 10 measured the lifecycle at 0.07 of raw, a quiet one at 0.12). The CPU seconds a
piece of work costs move far less: other processes take turns on the cores but do not make
our instructions more numerous. This measures the CPU seconds spent by this Python process
(``time.process_time``) and by the PostgreSQL backend serving its connection (utime + stime
from ``/proc/<pid>/stat``, readable when the server runs on this machine), so a cost ratio
against raw SpiffWorkflow can be given beside the wall-clock one. Clock ticks are 10 ms: time
enough work for the figure to be meaningful (seconds, not milliseconds).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSpent:
    """CPU seconds of one timed piece of work: ours, the database backend's, and wall time."""

    python: float
    database: float | None  # None: the backend's counters cannot be read (a remote server)
    wall: float

    @property
    def total(self) -> float:
        return self.python + (self.database or 0.0)


def backend_pid(connection: Any) -> int | None:
    """The process id of the PostgreSQL backend serving ``connection`` (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def process_cpu(pid: int | None) -> float | None:
    """utime + stime of process ``pid`` in seconds, or None when it cannot be read here."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the command name: state is field 3 of stat(5), utime 14 and stime 15
    return (int(fields[11]) + int(fields[12])) / TICKS


def spent(work: Callable[[], Any], connection: Any | None = None) -> CpuSpent:
    """Run ``work`` once and return the CPU it cost here and in ``connection``'s backend."""
    pid = backend_pid(connection) if connection is not None else None
    db_before, ours_before, wall_before = process_cpu(pid), time.process_time(), time.perf_counter()
    work()
    wall, ours = time.perf_counter() - wall_before, time.process_time() - ours_before
    db_after = process_cpu(pid)
    database = None if db_before is None or db_after is None else db_after - db_before
    return CpuSpent(python=ours, database=database, wall=wall)
