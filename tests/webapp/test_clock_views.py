"""The case page shows each clock; officers pause and extend; decision makers see alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import ClockAlert, ExtensionRequest

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup():
    people = factories.csods_officers("contact_handler", "case_officer", "decision_maker")
    with time_machine.travel(T0, tick=False):
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
    return case, people



def test_case_page_lists_each_clock_with_due_time_and_state(setup):
    case, people = setup
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        page = signed_in(people["case_officer"]).get(f"/cases/{case.reference}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Initial checks" in html and "Overall response" in html
    assert "Overdue" in html  # the 24-hour clock, 6 hours past
    assert "2 Jun 2026, 10:00" in html  # 09:00 UTC + 24 h, shown in UK time (BST)


def test_pause_and_extension_through_the_pages(setup):
    case, people = setup
    officer, dm = signed_in(people["case_officer"]), signed_in(people["decision_maker"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        missing = officer.post(f"/cases/{case.reference}/clocks/initial/pause/", {"reason": ""})
        assert missing.status_code == 400
        done = officer.post(f"/cases/{case.reference}/clocks/initial/pause/",
                            {"reason": "Applicant in hospital"})
        assert done.status_code == 302
        page = officer.get(f"/cases/{case.reference}/").content.decode()
        assert "Paused since" in page and "Applicant in hospital" in page
        officer.post(f"/cases/{case.reference}/clocks/overall/extension/",
                     {"duration": "p7d", "reason": "Interpreter needed"})
        request = ExtensionRequest.objects.get(case=case)
        awaiting = dm.get(f"/cases/{case.reference}/").content.decode()
        assert "Extensions awaiting a decision" in awaiting
        assert "Overall response: 7 days more requested by" in awaiting  # the clock's label
        assert officer.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"}
                            ).status_code == 403
        assert dm.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"}).status_code == 302
    request.refresh_from_db()
    assert request.approved is True and request.duration == "P7D"


def test_decision_maker_sees_and_acknowledges_alerts(setup):
    case, people = setup
    with time_machine.travel(T0 + timedelta(hours=19), tick=False):
        timers_sweep()
    alert = ClockAlert.objects.get(case=case, clock="initial")
    dm = signed_in(people["decision_maker"])
    queue = dm.get("/queue/").content.decode()
    assert "Clock warnings and breaches" in queue and case.reference in queue
    assert "<title>Team queue – Disclosure Workflow</title>" in queue
    assert "Clock warnings" not in signed_in(people["case_officer"]).get("/queue/").content.decode()
    assert dm.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == people["decision_maker"]
