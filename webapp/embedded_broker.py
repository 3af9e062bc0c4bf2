"""The embedded broker ``make run`` uses when no broker server is named: a queue in an SQLite
file under var/, through kombu's SQLAlchemy transport.

kombu's file-system transport, the earlier default, lets a consumer move and read a message
file before its producer has written it, and its exchange table is truncated before it is
locked; the worker read an empty file, raised ``JSONDecodeError`` and died. SQLite commits a
message whole or not at all, so a reader never sees half of one. Changes to kombu's transport:
a delivered message is deleted rather than kept hidden (its table would grow by a row every
sweep, for ever); the file runs in WAL mode with a busy timeout, so the web process, beat and
the worker write to it concurrently without "database is locked"; and processes that start
together may race to create its tables and queue rows without failing.

Selected by ``CELERY_BROKER_URL=embedded+sqlite:///<path>`` (the default): the ``embedded``
alias is registered by ``webapp.broker_scheme``, which names this module's ``Transport`` for
kombu to import when a connection first uses it.
"""

from __future__ import annotations

import time
from json import loads
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport.sqlalchemy import Channel as SqlaChannel
from kombu.transport.sqlalchemy import Transport as SqlaTransport
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

import webapp.broker_scheme  # noqa: F401 - the scheme, for a process that imports this first

BUSY_TIMEOUT_SECONDS = 30
OPEN_ATTEMPTS = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(SqlaChannel):
    """kombu's SQLAlchemy channel, tuned for one SQLite file shared by a few processes."""

    def _engine_from_config(self) -> Any:
        engine = create_engine(self.connection.client.hostname,
                               connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        if engine.dialect.name == "sqlite":
            if engine.url.database:
                Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _open(self) -> Any:
        """Create the engine and tables; processes starting together race to create them."""
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return super()._open()
            except (OperationalError, IntegrityError):
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    def _get_or_create(self, queue: str) -> Any:
        """The queue's row; another process creating it at the same moment is not an error."""
        try:
            return super()._get_or_create(queue)
        except IntegrityError:
            self.session.rollback()
            return super()._get_or_create(queue)

    def _get(self, queue: str) -> Any:
        """Take the oldest message off ``queue`` and delete it, in one write transaction."""
        obj = self._get_or_create(queue)
        session = self.session
        if session.bind.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            msg = (session.query(self.message_cls).with_for_update()
                   .filter(self.message_cls.queue_id == obj.id)
                   .order_by(self.message_cls.sent_at, self.message_cls.id)
                   .limit(1).first())
            if msg is None:
                raise Empty()
            payload = msg.payload
            session.delete(msg)
            return loads(bytes_to_str(payload))
        finally:
            session.commit()


class Transport(SqlaTransport):
    """The embedded transport: as kombu's SQLAlchemy transport, with the channel above."""

    Channel = Channel
    driver_name = "sqlalchemy-embedded"
    polling_interval = 0.5  # seconds between polls of an empty queue

