"""The embedded broker's URL scheme, ``embedded+sqlite:///<path>`` (webapp.embedded_broker).

Registering the scheme names the transport's class by its import path: kombu imports
``webapp.embedded_broker`` (and SQLAlchemy with it, about 0.3 s of CPU) only when a connection
uses the scheme, so a process on a broker server, or one that never sends a task (a management
command), does not pay for it at start. ``webapp.celery`` and the readiness check import this.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES

ALIAS = "embedded"
TRANSPORT_ALIASES[ALIAS] = "webapp.embedded_broker:Transport"
