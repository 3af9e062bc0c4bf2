"""The dashboard's figures with known data: each number is what the data says, the figures agree
with each other, and each number opens the case list of exactly the cases behind it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.models import Case
from webapp.cases.timers import timers_sweep
from webapp.reports import selectors

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=33)


@pytest.fixture
def world():
    """Three Hertfordshire enquiries under a 24-hour initial-checks clock: A checked in time
    (and at immediate risk), B checked late, C still unchecked; one Warwickshire case."""
    process = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=process)
    war = factories.force("WAR", "Warwickshire", process=process)
    people = {role: factories.officer(role, hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker")}
    people["other_contact"] = factories.officer("other.contact", hrt, "contact_handler")
    other_force = factories.officer("war.contact", war, "contact_handler")
    enquiry = factories.sample("enquiry")
    with time_machine.travel(T0, tick=False) as clock:
        a, b = (services.case_start(user=people["contact_handler"], data=enquiry)
                for _ in range(2))
        c = services.case_start(user=people["other_contact"], data=enquiry)
        services.case_start(user=other_force, data=enquiry)
        clock.shift(timedelta(hours=2))
        services.task_complete(user=people["case_officer"],
                               task_id=a.tasks.get(bpmn_id="ut_initial_checks").pk,
                               data=factories.sample("initial_checks"))
        clock.shift(timedelta(hours=28))
        timers_sweep()  # B and C pass their 24 hours: breached, overdue
        clock.shift(timedelta(hours=1))
        services.task_complete(user=people["case_officer"],
                               task_id=b.tasks.get(bpmn_id="ut_initial_checks").pk,
                               data=factories.sample("initial_checks"))
    # A's risk marker, as a step that sets the marker's field would store it (the immediate-risk
    # path itself starts further clocks, which this test does not need)
    Case.objects.filter(pk=a.pk).update(risks=["immediate_risk"])
    return people, {"A": a.reference, "B": b.reference, "C": c.reference}



def _get(client: Client, url: str) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _headlines(html: str) -> dict[str, tuple[str, str]]:
    """Headline label -> (number shown, link)."""
    found = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*<dd[^>]*><a [^>]*'
                       r'href="([^"]+)">(.*?)</a>', html)
    return {label: (value, unescape(link)) for label, link, value in found}


def _references(html: str) -> set[str]:
    """The case references the case list shows."""
    rows = html.split("<tbody", 1)[1] if "<tbody" in html else ""
    return set(re.findall(r'href="/cases/([^/"]+)/"', rows))


def _charts(html: str) -> dict:
    data = re.search(r'<script id="charts-data" type="application/json">(.*?)</script>', html,
                     re.S)
    assert data is not None
    return json.loads(data.group(1))


def test_the_headline_figures_count_the_known_cases_and_agree(world):
    people, ref = world
    html = _get(signed_in(people["decision_maker"]), "/dashboard/")
    headlines = _headlines(html)
    assert {label: value for label, (value, _) in headlines.items()} == {
        "Open cases": "3",
        "Cases overdue now": "1",
        "Breaches in May 2026": "2",
        "Clocks met on time in May 2026": "50%",
        "Open cases at risk": "1",
    }
    assert "1 of the 2 clocks that stopped in May 2026 stopped within their time limit" in html
    assert "Clocks whose time limit passed in May 2026 without being met, in 2 cases" in html


@pytest.mark.parametrize(("label", "cases"), [
    ("Open cases", {"A", "B", "C"}),
    ("Cases overdue now", {"C"}),
    ("Breaches in May 2026", {"B", "C"}),
    ("Clocks met on time in May 2026", {"A", "B"}),
    ("Open cases at risk", {"A"}),
])
def test_each_headline_opens_exactly_its_cases(world, label, cases):
    people, ref = world
    dm = signed_in(people["decision_maker"])
    _, link = _headlines(_get(dm, "/dashboard/"))[label]
    listed = _get(dm, link)
    assert _references(listed) == {ref[c] for c in cases}
    assert f"{len(cases)} case{'s' if len(cases) > 1 else ''} found" in listed


def test_chart_bars_and_table_rows_open_their_cases(world):
    people, ref = world
    dm = signed_in(people["decision_maker"])
    html = _get(dm, "/dashboard/")
    charts = _charts(html)
    breaches = charts["breaches"]
    may = next(i for i, row in enumerate(breaches["rows"]) if row[0] == "May 2026")
    assert breaches["rows"][may][1:] == [2, 2]
    assert len(breaches["rows"]) == 12  # every month of the period, with its zeros
    assert _references(_get(dm, breaches["links"][may][0])) == {ref["B"], ref["C"]}
    met = charts["met"]
    assert met["rows"] == [["Initial checks", 50, 1, 2]]
    assert _references(_get(dm, met["links"][0][1])) == {ref["A"]}
    assert _references(_get(dm, met["links"][0][2])) == {ref["A"], ref["B"]}
    stages = charts["stages"]
    for (stage, count), (link,) in zip(stages["rows"], stages["links"], strict=True):
        listed = _references(_get(dm, link))
        assert len(listed) == count, stage
    returns = charts["returns"]
    assert returns["rows"] == [["Applications", 3],
                               ["Applications about a registered sex offender", 0],
                               ["Disclosures", 0]]
    assert _references(_get(dm, returns["links"][0][0])) == {ref["A"], ref["B"], ref["C"]}
    assert _references(_get(dm, returns["links"][2][0])) == set()
    # the table below each chart carries the same links
    assert f'href="{breaches["links"][may][0]}"'.replace("&", "&amp;") in html


def test_count_axes_step_in_whole_numbers_and_the_rate_axis_is_a_percentage(world):
    people, _ = world
    charts = _charts(_get(signed_in(people["decision_maker"]), "/dashboard/"))
    for key in ("stages", "due", "breaches", "returns"):
        assert charts[key]["scales"]["y"]["ticks"]["precision"] == 0, key
        assert charts[key]["scales"]["y"]["beginAtZero"] is True
    assert charts["met"]["scales"]["y"]["max"] == 100
    assert charts["met"]["columns"][1] == "Met on time (%)"


def test_a_dashboard_link_shows_only_the_cases_the_user_may_see(world):
    # given: the breach link, opened by a contact handler who recorded only C
    people, ref = world
    link = _headlines(_get(signed_in(people["decision_maker"]), "/dashboard/"))[
        "Breaches in May 2026"][1]

    # when
    listed = _get(signed_in(people["other_contact"]), link)

    # then: B (breached, recorded by someone else) is not listed, nor any other force's case
    assert _references(listed) == {ref["C"]}
    assert "1 case found" in listed
    assert "With a clock that reached its time limit without being met in May 2026" in listed


def test_clocks_of_two_schemes_with_one_name_are_shown_apart():
    """Both schemes call their first clock 'initial', with other labels and limits: the met
    figure shows each with its scheme's title and links to that scheme's cases."""
    dvds = factories.ROOT / "processes" / "dvds"
    force = factories.force(process=factories.version("csods", factories.CSODS))
    factories.deploy(force, factories.version("dvds", dvds))
    officer = factories.officer("all.roles", force, "contact_handler", "case_officer",
                                "decision_maker", "disclosure_officer")
    application = json.loads((dvds / "forms" / "samples" / "initial_check.json").read_text())
    for scheme, intake, first in (
            ("csods", factories.sample("enquiry"), factories.sample("initial_checks")),
            ("dvds", json.loads((dvds / "forms" / "samples" / "application.json").read_text()),
             application)):
        case = services.case_start(user=officer, data=intake, scheme=scheme)
        task = case.tasks.get(state="ready")
        services.task_claim(user=officer, task_id=task.pk)
        services.task_complete(user=officer, task_id=task.pk, data=first)

    figure = selectors.met_rate(force, timezone.now())

    labels = [row[0] for row in figure.rows]
    assert "Initial checks (Sarah's Law)" in labels
    assert any(label.endswith("(Clare's Law)") for label in labels), labels
    assert all("scheme=" in link for links in figure.links for link in links)
