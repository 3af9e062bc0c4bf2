"""Withdrawing a case is confirmed: a page says what will happen and asks why; the withdrawn
case's running clocks are "Stopped", neither met nor breached; the API asks for a reason too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from rest_framework.test import APIClient

from tests import factories
from tests.factories import signed_in
from webapp.api.auth import token_create
from webapp.cases import services
from webapp.cases.models import CaseStatus
from webapp.clocks.arithmetic import ClockEventData, compute
from webapp.clocks.models import CaseClock, ClockState

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    people = factories.csods_officers("contact_handler", "case_officer", "decision_maker")
    with time_machine.travel(T0, tick=False):
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
    return {"case": case, **people}



def _text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def test_the_case_page_links_to_the_confirmation_instead_of_withdrawing(world):
    case = world["case"]
    page = signed_in(world["case_officer"]).get(f"/cases/{case.reference}/").content.decode()
    assert f'href="/cases/{case.reference}/withdraw/"' in page
    assert f'action="/cases/{case.reference}/withdraw/"' not in page  # no one-click withdraw


def test_the_confirmation_says_what_will_happen_and_asks_why(world):
    case = world["case"]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = signed_in(world["case_officer"]).get(f"/cases/{case.reference}/withdraw/")
    text = _text(page)
    assert page.status_code == 200
    assert "Withdraw the application?" in text
    assert "The case will be closed" in text and "cannot be undone" in text
    assert "Initial checks" in text and "'Stopped'" in text  # its running clocks stop
    assert "Why the applicant withdrew" in text
    assert "Cancel and go back to the case" in text
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_withdrawing_without_a_reason_shows_the_confirmation_again(world):
    case = world["case"]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = signed_in(world["case_officer"]).post(f"/cases/{case.reference}/withdraw/",
                                                       {"reason": " "})
    assert response.status_code == 400
    assert "Enter why the applicant withdrew." in _text(response)
    assert 'id="action-reason-error"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_withdrawing_with_a_reason_closes_the_case_and_its_clocks_show_stopped(world):
    case = world["case"]
    officer = signed_in(world["case_officer"])
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        done = officer.post(f"/cases/{case.reference}/withdraw/",
                            {"reason": "The applicant moved away"})
        assert done.status_code == 302 and done.url == f"/cases/{case.reference}/"
        page = signed_in(world["decision_maker"]).get(done.url)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    states = set(CaseClock.objects.filter(case=case).values_list("state", flat=True))
    assert states == {ClockState.STOPPED}
    text = _text(page)
    assert "Stopped" in text and "Met" not in text
    assert "The applicant moved away" in text  # on the timeline


def test_a_clock_already_past_its_limit_when_the_case_is_withdrawn_stays_breached(world):
    case = world["case"]
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        services.case_withdraw(user=world["case_officer"], reference=case.reference,
                               reason="Withdrew by phone")
    clocks = dict(CaseClock.objects.filter(case=case).values_list("clock", "state"))
    assert clocks["initial"] == ClockState.BREACHED  # 24 hours, 30 passed: it was breached
    assert clocks["overall"] == ClockState.STOPPED


def test_the_clock_arithmetic_tells_stopped_from_met():
    start = ClockEventData("started", T0, limit="PT24H")
    met = compute([start, ClockEventData("stopped", T0 + timedelta(hours=2))], T0)
    stopped = compute([start, ClockEventData("withdrawn", T0 + timedelta(hours=2))], T0)
    assert met is not None and met.state == "met"
    assert stopped is not None and stopped.state == "stopped"


def test_the_api_withdraw_needs_a_reason_and_still_works(world):
    case = world["case"]
    client = APIClient()
    _, secret = token_create(user=world["case_officer"], name="records system")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/cases/{case.reference}/withdraw"
    traveller = time_machine.travel(T0 + timedelta(hours=1), tick=False)
    traveller.start()
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400
    assert missing["Content-Type"] == "application/problem+json"
    blank = client.post(url, {"reason": "  "}, format="json")
    assert blank.status_code == 400 and blank["Content-Type"] == "application/problem+json"
    done = client.post(url, {"reason": "Withdrew by email"}, format="json")
    traveller.stop()
    assert done.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert set(CaseClock.objects.filter(case=case).values_list("state", flat=True)) == {
        ClockState.STOPPED}
