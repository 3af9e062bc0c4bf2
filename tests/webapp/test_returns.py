"""The returns page with known cases made through the services: each declared return counts
what its declaration says in the period chosen (edges in local time), timeliness counts the
cases closed in it, a force sees only its own figures, a national administrator every force
and the total, the CSV has the same figures, and every linked number opens exactly its cases."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth import get_user_model

from tests import factories
from tests.factories import signed_in
from webapp.cases import services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FY = "from-day=1&from-month=4&from-year=2025&to-day=31&to-month=3&to-year=2026"
NO_DISCLOSURE = {"decision": "no_disclosure", "disclosure_category": "not_applicable",
                 "safeguarding_referral": False}


def _start(user, at: datetime):
    with time_machine.travel(at, tick=False):
        return services.case_start(user=user, data=factories.sample("enquiry"))


@pytest.fixture
def world():
    """Hertfordshire, financial year 1 April 2025 to 31 March 2026 (local time, BST at both
    ends): A opened in its first minutes, about a registered sex offender, disclosed after 50
    days (past the 45-day limit); B opened in its last minutes, still open; C opened a minute
    before it, closed with no disclosure in April (within the limit); E opened just after it.
    Warwickshire: D, opened in the year."""
    officers = factories.csods_officers()
    war = factories.force("WAR", "Warwickshire", process=factories.version("csods",
                                                                            factories.CSODS))
    war_contact = factories.officer("war.contact", war, "contact_handler")
    with time_machine.travel(datetime(2025, 3, 31, 23, 30, tzinfo=UTC), tick=False) as clock:
        a = services.case_start(user=officers["contact_handler"], data=factories.sample("enquiry"))
        factories.walk(a, officers, clock,
                       answers={"ut_police_checks": {"registered_sex_offender": True}},
                       wait={"ut_deliver_disclosure": timedelta(days=50)})
    with time_machine.travel(datetime(2025, 3, 31, 22, 29, tzinfo=UTC), tick=False) as clock:
        c = services.case_start(user=officers["contact_handler"], data=factories.sample("enquiry"))
        factories.walk(c, officers, clock, answers={"ut_decision": NO_DISCLOSURE})
    b = _start(officers["contact_handler"], datetime(2026, 3, 31, 22, 59, tzinfo=UTC))
    e = _start(officers["contact_handler"], datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    d = _start(war_contact, datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    for case in (a, c):
        case.refresh_from_db()
        assert case.status == "closed", case.reference
    return {"officers": officers, "war_contact": war_contact,
            "ref": {name: case.reference for name, case in
                    {"A": a, "B": b, "C": c, "D": d, "E": e}.items()}}


def _get(client, url: str, status: int = 200) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def _charts(html: str) -> dict:
    data = re.search(r'<script id="charts-data" type="application/json">(.*?)</script>', html,
                     re.S)
    assert data is not None
    return json.loads(data.group(1))


def _references(html: str) -> set[str]:
    rows = html.split("<tbody", 1)[1] if "<tbody" in html else ""
    return set(re.findall(r'href="/cases/([^/"]+)/"', rows))


def _listed(client, link: str) -> set[str]:
    return _references(_get(client, unescape(link)))


def test_the_returns_of_a_financial_year_count_the_known_cases(world):
    dm = signed_in(world["officers"]["decision_maker"])
    charts = _charts(_get(dm, f"/returns/?{FY}"))
    assert charts["returns-csods"]["rows"] == [
        ["Applications", 2], ["Applications about a registered sex offender", 1],
        ["Disclosures", 1]]
    timely = charts["timeliness-csods"]
    assert timely["columns"][:3] == ["Force", "Within the time limit (%)", "Cases completed"]
    row = timely["rows"][0]
    assert row[0] == "Hertfordshire"
    assert (row[1], row[2], row[5], row[6]) == (50, 2, 1, 1)
    # A took 50 days and 9 hours, C 8 hours: the median is halfway, the 90th percentile
    # nine tenths of the way from C to A
    assert (row[3], row[4]) == (25.3, 45.3)


def test_the_period_left_blank_is_the_last_financial_year(world):
    dm = signed_in(world["officers"]["decision_maker"])
    html = _get(dm, "/returns/")
    assert "Showing 1 April 2025 to 31 March 2026" in html
    assert _charts(html) == _charts(_get(dm, f"/returns/?{FY}"))


def test_every_linked_number_opens_exactly_the_cases_it_counts(world):
    ref = world["ref"]
    dm = signed_in(world["officers"]["decision_maker"])
    charts = _charts(_get(dm, f"/returns/?{FY}"))
    counts = charts["returns-csods"]
    expected = [{"A", "B"}, {"A"}, {"A"}]
    for (label, n), (link,), cases in zip(counts["rows"], counts["links"], expected,
                                          strict=True):
        listed = _listed(dm, link)
        assert listed == {ref[c] for c in cases}, label
        assert len(listed) == n, label
    timely = charts["timeliness-csods"]
    links = timely["links"][0]
    assert _listed(dm, links[0]) == {ref["C"]}  # the share: those within the limit
    assert _listed(dm, links[1]) == {ref["A"], ref["C"]}  # completed in the year
    assert _listed(dm, links[4]) == {ref["C"]}
    assert _listed(dm, links[5]) == {ref["A"]}
    listed = _get(dm, unescape(links[5]))
    assert "Completed from 1 April 2025 to 31 March 2026" in listed
    assert "Completed after the time limit" in listed


def test_period_edges_are_whole_local_days(world):
    ref = world["ref"]
    dm = signed_in(world["officers"]["decision_maker"])
    # the day after the year: E only (opened at 00:00 BST on 1 April 2026)
    after = "from-day=1&from-month=4&from-year=2026&to-day=1&to-month=4&to-year=2026"
    charts = _charts(_get(dm, f"/returns/?{after}"))
    assert charts["returns-csods"]["rows"][0] == ["Applications", 1]
    assert _listed(dm, charts["returns-csods"]["links"][0][0]) == {ref["E"]}
    # the day before: C only
    before = "from-day=31&from-month=3&from-year=2025&to-day=31&to-month=3&to-year=2025"
    charts = _charts(_get(dm, f"/returns/?{before}"))
    assert _listed(dm, charts["returns-csods"]["links"][0][0]) == {ref["C"]}


def test_a_force_sees_only_its_own_cases_counted(world):
    war_dm = factories.officer("war.dm", world["war_contact"].membership.force, "decision_maker")
    client = signed_in(war_dm)
    html = _get(client, f"/returns/?{FY}")
    charts = _charts(html)
    assert charts["returns-csods"]["rows"][0] == ["Applications", 1]
    assert _listed(client, charts["returns-csods"]["links"][0][0]) == {world["ref"]["D"]}
    assert "Hertfordshire" not in html


def test_a_national_administrator_sees_every_force_and_the_total(world):
    national = get_user_model().objects.create_user("national", is_staff=True)
    client = signed_in(national)
    charts = _charts(_get(client, f"/returns/?{FY}"))
    counts = charts["returns-csods"]
    assert counts["columns"] == ["Force", "Applications",
                                 "Applications about a registered sex offender", "Disclosures"]
    assert counts["rows"] == [["Hertfordshire", 2, 1, 1], ["Warwickshire", 1, 0, 0],
                              ["All forces", 3, 1, 1]]
    # no force of their own: the figures open no cases
    assert all(link is None for row in counts["links"] for link in row)
    timely = charts["timeliness-csods"]["rows"]
    assert [row[0] for row in timely] == ["Hertfordshire", "Warwickshire", "All forces"]
    assert timely[2][2] == 2


def test_a_policy_lead_sees_the_counts_without_opening_cases(world):
    # a policy lead sees aggregate reports, not case content (process-spec §2)
    lead = factories.officer("lead", world["officers"]["force"], "policy_lead")
    html = _get(signed_in(lead), f"/returns/?{FY}")
    charts = _charts(html)
    assert charts["returns-csods"]["rows"][0] == ["Applications", 2]
    assert all(link is None for row in charts["returns-csods"]["links"] for link in row)
    assert "/cases/?" not in html


def test_the_csv_has_the_figures_of_the_table(world):
    dm = signed_in(world["officers"]["decision_maker"])
    with time_machine.travel(NOW, tick=False):
        response = dm.get(f"/returns/returns-csods.csv?{FY}")
    assert response.status_code == 200
    assert "hrt-returns-csods-20250401-20260331.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Return", "Cases"], ["Applications", "2"],
                    ["Applications about a registered sex offender", "1"], ["Disclosures", "1"]]
    with time_machine.travel(NOW, tick=False):
        response = dm.get(f"/returns/timeliness-csods.csv?{FY}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Force", "Within the time limit (%)", "Cases completed"]
    assert rows[1][:3] == ["Hertfordshire", "50", "2"]


@pytest.mark.parametrize(("query", "message"), [
    ("from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026",
     "The start date must be a real date"),
    ("from-day=1&from-month=4&from-year=2026&to-day=1&to-month=3&to-year=2026",
     "The end date must be the same as or after the start date"),
    ("from-day=1&from-month=4&from-year=2025", "Enter the end date"),
    ("from-day=1&from-year=2025&to-day=1&to-month=3&to-year=2026",
     "The start date must include a month"),
    ("from-day=1&from-month=4&from-year=25&to-day=1&to-month=3&to-year=2026",
     "The start date year must have 4 numbers"),
    ("from-day=1&from-month=4&from-year=2025&to-day=31&to-month=12&to-year=9999",
     "The end date must be between 2000 and 2099"),
])
def test_a_bad_date_is_shown_again_with_a_clear_error(query, message):
    officers = factories.csods_officers("decision_maker")
    html = _get(signed_in(officers["decision_maker"]), f"/returns/?{query}", status=400)
    assert "There is a problem" in html
    assert html.count(message) == 2  # in the summary and beside the date
    assert 'data-chart="' not in html
    with time_machine.travel(NOW, tick=False):
        response = signed_in(officers["decision_maker"]).get(f"/returns/returns-csods.csv?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_officers_without_reports_are_refused_and_not_offered_the_page():
    officers = factories.csods_officers("case_officer", "policy_lead")
    html = _get(signed_in(officers["case_officer"]), "/returns/", status=403)
    assert "You cannot see this page" in html
    assert 'href="/returns/"' not in html
    assert 'href="/returns/"' in _get(signed_in(officers["policy_lead"]), "/cases/")
