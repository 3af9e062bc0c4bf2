"""What the topology test does directly against the topology's database (run as
``python -m tests.deploy.topology_world <command>`` with its DATABASE_URL):

- ``tokens``: API tokens for the Hertfordshire demo officers, as JSON {role: secret};
- ``due N``: N cases started as if 24 hours ago, so that their first time limit is due now
  and only the background sweep can fire it; their references as JSON;
- ``report REF...``: for each case, its status, timer events and completed steps, and every
  access-log request id, as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests import factories  # noqa: E402
from webapp.api.auth import token_create  # noqa: E402
from webapp.audit.models import AccessLog  # noqa: E402
from webapp.cases import services  # noqa: E402
from webapp.cases.models import Case, CaseEvent, HumanTask  # noqa: E402

ROLES = {"contact_handler": "hrt.contact", "case_officer": "hrt.officer",
         "decision_maker": "hrt.decision", "disclosure_officer": "hrt.disclosure"}


def tokens() -> dict[str, str]:
    users = get_user_model().objects
    return {role: token_create(user=users.get(username=name), name="topology test")[1]
            for role, name in ROLES.items()}


def due(count: int) -> list[str]:
    contact = get_user_model().objects.get(username=ROLES["contact_handler"])
    with time_machine.travel(timezone.now() - timedelta(hours=24, minutes=5), tick=False):
        return [services.case_start(user=contact, data=factories.sample("enquiry"),
                                    scheme="csods").reference
                for _ in range(count)]


def report(references: list[str]) -> dict:
    out = {}
    for case in Case.objects.filter(reference__in=references):
        events = CaseEvent.objects.filter(case=case)
        out[case.reference] = {
            "status": case.status, "stage": case.stage,
            "timer_events": list(events.filter(kind="timer").values_list("bpmn_id", flat=True)),
            "completed": list(HumanTask.objects.filter(case=case, completed_at__isnull=False)
                              .values_list("bpmn_id", flat=True)),
            "open": list(HumanTask.objects.filter(case=case, completed_at__isnull=True)
                         .values_list("bpmn_id", flat=True))}
    out["request_ids"] = sorted(set(AccessLog.objects.exclude(request_id="")
                                    .values_list("request_id", flat=True)))
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"tokens": tokens, "due": lambda: due(int(args[0])),
              "report": lambda: report(args)}[command]()
    print(json.dumps(result))
