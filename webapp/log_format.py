"""Log lines as one JSON object each: time, level, logger, message, the request id (and task
id in the worker), and any traceback in the same object, so that every line of a traceback is
found by the reference a person was shown.

Messages are written by our own code, which logs ids, codes and exception types, never names
or form data (``tests/webapp/test_log_lines.py`` holds it to that).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One line of JSON a record (needs ``webapp.request_log.RequestIdFilter`` on the handler)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        task_id = getattr(record, "task_id", "")
        if task_id:
            line["task_id"] = task_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
