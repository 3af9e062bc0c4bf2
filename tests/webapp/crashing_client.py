"""A process that records an enquiry through the API and can die part-way, for the fault tests.

Run as ``python -m tests.webapp.crashing_client <phase> …`` against DATABASE_URL:
- ``setup``: migrate (SQLite) and create a force, a contact handler and an API token;
- ``post KEY FAULT [LATER]``: POST an enquiry with Idempotency-Key KEY, LATER seconds from now;
  FAULT ``before_commit`` kills this process (SIGKILL, no clean-up of any kind) once the case
  row is written but before the transaction commits, ``after_commit`` right after it commits,
  before the response is returned; ``none`` lets it finish;
- ``count``: how many cases exist.
Each phase prints one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.signals import post_save  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def setup() -> dict:
    from tests import factories
    from webapp.api.auth import token_create

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("crash.contact", hrt, "contact_handler")
    _, secret = token_create(user=contact, name="records system")
    return {"token": secret}


def post(token: str, key: str, fault: str, later: float) -> dict:
    import time_machine
    from rest_framework.test import APIClient

    from tests import factories
    from webapp.cases.models import Case

    def crash(**_: object) -> None:
        if fault == "before_commit":
            _die()
        elif fault == "after_commit":
            transaction.on_commit(_die)

    post_save.connect(crash, sender=Case, weak=False)
    setup_test_environment()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with time_machine.travel(timezone.now() + timedelta(seconds=later)):
        response = client.post("/api/v1/enquiries", {"data": factories.sample("enquiry")},
                               format="json", HTTP_IDEMPOTENCY_KEY=key)
    body = response.json()
    return {"status": response.status_code, "reference": body.get("reference"),
            "code": body.get("code"), "replayed": response.get("Idempotent-Replayed"),
            "retry_after": response.get("Retry-After")}


def main() -> None:
    phase = sys.argv[1]
    if phase == "setup":
        out = setup()
    elif phase == "post":
        token, key, fault = sys.argv[2:5]
        out = post(token, key, fault, float(sys.argv[5]) if len(sys.argv) > 5 else 0.0)  # noqa: PLR2004
    else:
        from webapp.cases.models import Case

        out = {"cases": Case.objects.count()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
