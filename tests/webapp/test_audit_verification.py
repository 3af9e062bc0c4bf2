"""The access log's hash chain is verified by the command and a periodic job, not by every view
of the access-log page; the page shows the last result and when it ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests import factories
from tests.conftest import _lift_append_only
from webapp.audit.models import AccessLog, ChainVerification
from webapp.cases import services

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
VERIFY_TASK = "audit.verify_chain"


@pytest.fixture
def world():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("contact", hrt, "contact_handler")
    auditor = factories.officer("auditor", hrt, "auditor")
    services.case_start(user=contact, data=factories.sample("enquiry"))
    page = Client()
    page.force_login(auditor)
    return page


def _tamper_with_the_first_row() -> AccessLog:
    first = AccessLog.objects.order_by("pk").first()
    with _lift_append_only(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET justification = 'edited' WHERE id = %s",
                       [first.pk])
    return first


def _verify_task():
    from webapp.celery import app

    app.loader.import_default_modules()
    return app.tasks[VERIFY_TASK]


def test_the_access_log_page_shows_the_last_verification_instead_of_walking_the_chain(world):
    # given: no verification has run yet
    page = world.get("/audit/").content.decode()
    assert "not been verified yet" in page

    # when: the command verifies the chain at 09:00
    with time_machine.travel(T0, tick=False):
        out = StringIO()
        call_command("audit_verify", stdout=out)
    rows = AccessLog.objects.count()
    assert "intact" in out.getvalue()

    # then: the page shows that result and when it ran, without walking the chain again
    _tamper_with_the_first_row()
    page = world.get("/audit/").content.decode()
    assert "Hash chain intact" in page and "4 May 2026 10:00" in page
    assert f"{rows} rows verified" in page
    assert "broken" not in page
    assert ChainVerification.objects.count() == 1


def test_the_periodic_job_verifies_the_chain_and_the_page_shows_a_break(world):
    # given: the job is on the beat schedule
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert VERIFY_TASK in scheduled
    tampered = _tamper_with_the_first_row()

    # when: the job runs
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        _verify_task().apply().get()

    # then: the broken link is stored and shown with the time of the check
    last = ChainVerification.objects.latest("finished_at")
    assert not last.intact and last.first_bad_row_id == tampered.pk
    page = world.get("/audit/").content.decode()
    assert f"first bad row {tampered.pk}" in page and "4 May 2026 11:00" in page


def test_the_command_records_its_result_and_exits_1_on_a_break(world):
    _tamper_with_the_first_row()
    out = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("audit_verify", stdout=out)
    assert exit_code.value.code == 1
    assert ChainVerification.objects.get().intact is False
