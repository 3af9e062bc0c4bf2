"""What the case page tells its diagram: the process holding the current step and only the
steps the case is at (never the timers and event subprocesses that watch them)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests import factories
from webapp.cases import services

pytestmark = pytest.mark.django_db


def _marks(user, reference: str) -> dict:
    client = Client()
    client.force_login(user)
    html = client.get(f"/cases/{reference}/").content.decode()
    found = re.search(r'<script id="diagram-marks" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


@pytest.fixture
def people():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return {role: factories.officer(role, hrt, role)
            for role in ("contact_handler", "case_officer", "decision_maker")}


def test_an_open_case_in_a_called_process_shows_that_process_and_its_step(people):
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    services.task_complete(user=people["case_officer"],
                           task_id=case.tasks.get(bpmn_id="ut_initial_checks").pk,
                           data=factories.sample("initial_checks"))
    marks = _marks(people["decision_maker"], case.reference)
    assert marks["processes"] == ["csods_interview", "csods"]
    assert marks["current"] == ["ca_interview", "ut_verification_interview"]
    assert "ut_initial_checks" in marks["completed"]


def test_a_closed_case_shows_its_own_process_with_nothing_current(people):
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    services.task_complete(user=people["case_officer"],
                           task_id=case.tasks.get(bpmn_id="ut_initial_checks").pk,
                           data={**factories.sample("initial_checks"), "in_scope": False,
                                 "out_of_scope_reason": "other_scheme"})
    services.task_complete(user=people["case_officer"],
                           task_id=case.tasks.get(bpmn_id="ut_out_of_scope_advice").pk,
                           data=factories.sample("out_of_scope_advice"))
    marks = _marks(people["decision_maker"], case.reference)
    assert marks["processes"] == ["csods"] and marks["current"] == []
    assert "ca_enquiry" in marks["completed"]
