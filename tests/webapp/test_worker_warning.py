"""Decision makers are told when time limits are not being processed: no worker heartbeat, an
old one, or a timer long past due and unfired. A fresh heartbeat and nothing late: no warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests import factories
from webapp.cases import services
from webapp.cases.timers import timers_sweep
from webapp.clocks.heartbeat import heartbeat_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
WARNING = "Time limits are not being processed"
PAGES = ("cases:queue", "reports:dashboard")


@pytest.fixture
def people():
    return factories.csods_officers("contact_handler", "case_officer", "decision_maker")


def _page(user, name: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_decision_maker_is_warned_when_no_worker_has_ever_run(people, page):
    html = _page(people["decision_maker"], page)
    assert WARNING in html
    assert "No background worker has run yet" in html


@pytest.mark.parametrize("page", PAGES)
def test_decision_maker_is_warned_when_the_worker_heartbeat_is_old(people, page):
    with time_machine.travel(T0, tick=False) as clock:
        timers_sweep()  # the last sweep that ran
        clock.shift(timedelta(minutes=7))
        html = _page(people["decision_maker"], page)
    assert WARNING in html
    assert "The background worker last ran 7 minutes ago" in html


@pytest.mark.parametrize("page", PAGES)
def test_decision_maker_is_warned_of_a_timer_long_past_due_and_unfired(people, page):
    with time_machine.travel(T0, tick=False) as clock:
        services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
        clock.shift(timedelta(hours=25))
        heartbeat_record()  # a worker is alive, but the case's timers have not fired
        html = _page(people["decision_maker"], page)
    assert WARNING in html
    assert "Time limits are running late" in html
    assert "No background worker" not in html and "last ran" not in html


@pytest.mark.parametrize("page", PAGES)
def test_no_warning_with_a_fresh_heartbeat_and_nothing_late(people, page):
    with time_machine.travel(T0, tick=False) as clock:
        services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
        clock.shift(timedelta(hours=25))
        timers_sweep()  # fires the due timers and writes the heartbeat
        clock.shift(timedelta(seconds=20))
        html = _page(people["decision_maker"], page)
    assert WARNING not in html


def test_a_case_officer_sees_no_worker_warning_on_the_queue(people):
    assert WARNING not in _page(people["case_officer"], "cases:queue")
