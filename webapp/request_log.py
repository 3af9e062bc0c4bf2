"""Every log line carries the id of the request it was written in (the reference people see)."""

from __future__ import annotations

import logging

from webapp.audit.context import current


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record: the current request's id, or "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current.get()
        record.request_id = (info.request_id if info is not None else "") or "-"
        return True
