"""The heatmap's figures with known cases made through the services at controlled times: the
median and 90th percentile at each step, the breaches placed at the step a case was at when
its clock passed its limit, per-force isolation, the version filter, the page's words and the
links to the cases behind each figure."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth import get_user_model

from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.element_rows import ElementScope
from webapp.cases.models import HumanTask
from webapp.cases.timers import timers_sweep
from webapp.clocks.periods import Period
from webapp.reports.heatmap import element_figures, span_words

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)
CHECKS = "ut_initial_checks"
YEAR = Period(date(2025, 6, 1), date(2026, 5, 31))


def _complete(user, case, bpmn_id=CHECKS):
    services.task_complete(user=user, task_id=case.tasks.get(bpmn_id=bpmn_id).pk,
                           data=factories.sample("initial_checks"))


@pytest.fixture
def world(tmp_path):
    """Hertfordshire on CSODS version 1: initial checks done in 2 hours (A), 4 hours (D) and 31
    hours (B, after its 24-hour clock breached), and not yet (C, breached too). Warwickshire: one
    case checked in 10 hours. Hertfordshire on version 2 (a copy): one case checked in 20 hours."""
    v1 = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=v1)
    war = factories.force("WAR", "Warwickshire", process=v1)
    people = {role: factories.officer(role, hrt, role)
              for role in ("contact_handler", "case_officer", "decision_maker", "policy_lead")}
    war_people = {role: factories.officer(f"war.{role}", war, role)
                  for role in ("contact_handler", "case_officer")}
    enquiry = factories.sample("enquiry")
    with time_machine.travel(T0, tick=False) as clock:
        a, b, c, d = (services.case_start(user=people["contact_handler"], data=enquiry)
                      for _ in range(4))
        w = services.case_start(user=war_people["contact_handler"], data=enquiry)
        clock.shift(timedelta(hours=2))
        _complete(people["case_officer"], a)
        clock.shift(timedelta(hours=2))
        _complete(people["case_officer"], d)
        clock.shift(timedelta(hours=6))
        _complete(war_people["case_officer"], w)
        clock.shift(timedelta(hours=20))  # T0 + 30 h: B and C passed their 24 hours
        timers_sweep()
        clock.shift(timedelta(hours=1))
        _complete(people["case_officer"], b)
    folder = tmp_path / "csods"
    shutil.copytree(factories.CSODS, folder)
    bpmn = folder / "csods.bpmn"
    bpmn.write_text(bpmn.read_text() + "\n<!-- version 2 -->\n")
    v2 = factories.version("csods", folder)
    factories.deploy(hrt, v2)
    with time_machine.travel(T0, tick=False) as clock:
        e = services.case_start(user=people["contact_handler"], data=enquiry)
        clock.shift(timedelta(hours=20))
        _complete(people["case_officer"], e)
    return {"v1": v1, "v2": v2, "hrt": hrt, "war": war, "people": people,
            "cases": {"A": a, "B": b, "C": c, "D": d, "W": w, "E": e}}


def _figures(force_ids, version) -> dict:
    figures = element_figures(ElementScope(force_ids, version.pk, YEAR), NOW)
    return {f.bpmn_id: f for f in figures}


def test_median_and_90th_percentile_of_the_time_at_each_task(world):
    checks = _figures((world["hrt"].pk,), world["v1"])[CHECKS]
    assert checks.name == "Initial checks (24 hours)"
    assert checks.completed == 3  # A, D, B; C is still open
    assert checks.median == 4 * 3600  # nearest rank: the 2nd of 2 h, 4 h, 31 h
    assert checks.p90 == 31 * 3600
    assert (checks.median_words, checks.p90_words) == ("4 hours", "31 hours")


def test_a_breach_counts_at_the_task_open_when_the_limit_passed(world):
    figures = _figures((world["hrt"].pk,), world["v1"])
    assert (figures[CHECKS].breaches, figures[CHECKS].breached_cases) == (2, 2)  # B and C
    # the breach review was offered after the limit passed: the breach is not at it
    assert figures["ut_review_initial_breach"].breaches == 0
    assert figures["ut_review_initial_breach"].completed == 0
    assert sum(f.breaches for f in figures.values()) == 2


def test_each_force_sees_only_its_own_cases_and_all_forces_add_up(world):
    war = _figures((world["war"].pk,), world["v1"])[CHECKS]
    assert (war.completed, war.median, war.breaches) == (1, 10 * 3600, 0)
    every = _figures(None, world["v1"])[CHECKS]
    assert every.completed == 4
    assert every.median == 4 * 3600  # 2nd of 2, 4, 10, 31 hours
    assert every.breaches == 2


def test_the_version_filter_counts_only_cases_on_that_version(world):
    v2 = _figures((world["hrt"].pk,), world["v2"])[CHECKS]
    assert (v2.completed, v2.median, v2.breaches) == (1, 20 * 3600, 0)


def test_the_colour_band_follows_the_median_and_untouched_steps_have_none(world):
    figures = _figures((world["hrt"].pk,), world["v1"])
    assert figures[CHECKS].band == 5  # the longest median of the page
    assert figures["ut_verification_interview"].band == 0
    assert figures["ut_verification_interview"].median_words == "–"


def test_durations_are_said_in_words():
    assert [span_words(s) for s in (30, 5400, 3 * 86400 + 43200, None)] == [
        "1 minute", "2 hours", "3.5 days", "–"]


def _page(user, query: str, status: int = 200) -> str:
    with time_machine.travel(NOW, tick=False):
        response = signed_in(user).get(f"/heatmap/?{query}")
    assert response.status_code == status
    return response.content.decode()


def _row(html: str, bpmn_id: str) -> str:
    found = re.search(rf'<tr class="govuk-table__row" data-element="{bpmn_id}">(.*?)</tr>', html,
                      re.S)
    assert found, bpmn_id
    return found.group(1)


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_page_shows_element_names_and_figures_not_ids(world):
    html = _page(world["people"]["decision_maker"], f"scheme=csods&version={world['v1'].pk}")
    row = _text(_row(html, CHECKS))
    assert row.startswith("Initial checks (24 hours) 3 4 hours 31 hours 2 (2 cases)")
    assert "Verification interview" in html
    assert "Immediate-risk review received (a wait for an event)" in _text(html)
    table = html.split('id="heatmap-table"', 1)[1].split("</table>", 1)[0]
    assert "ut_" not in _text(table)  # no element id shown to people
    assert 'data-src="/heatmap/versions/' in html


def test_each_figure_opens_the_cases_behind_it(world):
    people, cases = world["people"], world["cases"]
    # a task's own time limit plays no part (the breach is the clock's)
    HumanTask.objects.filter(bpmn_id=CHECKS).update(due_at=None)
    html = _page(people["decision_maker"], f"scheme=csods&version={world['v1'].pk}")
    links = re.findall(r'href="([^"]*element=[^"]+)"', _row(html, CHECKS))
    assert len(links) == 2
    shown = []
    for link in links:
        with time_machine.travel(NOW, tick=False):
            page = signed_in(people["decision_maker"]).get(unescape(link)).content.decode()
        rows = page.split("<tbody", 1)[1]
        shown.append(set(re.findall(r'href="/cases/([^/"]+)/"', rows)))
        assert "Initial checks (24 hours)" in page  # the filter said in words
    assert shown[0] == {cases[k].reference for k in "ABD"}  # completed there
    assert shown[1] == {cases[k].reference for k in "BC"}  # breached while there


def test_a_force_page_shows_the_force_own_figures_only(world):
    html = _page(world["people"]["policy_lead"], f"scheme=csods&version={world['v1'].pk}"
                                                 "&force=all")
    assert _text(_row(html, CHECKS)).startswith("Initial checks (24 hours) 3 ")
    assert "All forces" not in html


def test_a_national_administrator_chooses_a_force_or_all(world):
    national = get_user_model().objects.create_user(username="national", password="x" * 14,
                                                    is_staff=True)
    query = f"scheme=csods&version={world['v1'].pk}"
    every = _page(national, f"{query}&force=all")
    assert _text(_row(every, CHECKS)).startswith("Initial checks (24 hours) 4 ")
    war = _page(national, f"{query}&force=WAR")
    assert _text(_row(war, CHECKS)).startswith("Initial checks (24 hours) 1 10 hours")
    assert "element_in=" not in war  # no case list for a national administrator


def test_other_roles_are_refused(world):
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world["people"]["case_officer"]).get("/heatmap/")
    assert response.status_code == 404


def test_a_wrong_date_is_said_and_kept(world):
    html = _page(world["people"]["decision_maker"],
                 "scheme=csods&from_day=31&from_month=2&from_year=2026", status=400)
    assert "There is a problem" in html
    assert "The start date must be a real date" in html
    assert 'id="from_day" name="from_day" type="text" inputmode="numeric" value="31"' in html


def test_the_table_sorts_by_a_column(world):
    html = _page(world["people"]["decision_maker"],
                 f"scheme=csods&version={world['v1'].pk}&sort=breaches")
    first = re.search(r'data-element="([^"]+)"', html.split("<tbody", 1)[1]).group(1)
    assert first == CHECKS
    assert 'aria-sort="descending"' in html


@pytest.mark.parametrize("query", ["version=%C2%B2", "version=99999999999999999999999",
                                   "to_day=31&to_month=12&to_year=9999",
                                   "to_day=1&to_month=1&to_year=1"])
def test_odd_values_are_a_clear_answer_not_a_server_error(world, query):
    with time_machine.travel(NOW, tick=False):
        response = signed_in(world["people"]["decision_maker"]).get(
            f"/heatmap/?scheme=csods&{query}")
    assert response.status_code in (200, 400)
    if "year" in query:
        assert response.status_code == 400
        assert "The end date must be between 2000 and 2099" in response.content.decode()


def test_a_policy_lead_reads_figures_without_links_to_cases_they_cannot_all_see(world):
    html = _page(world["people"]["policy_lead"], f"scheme=csods&version={world['v1'].pk}")
    assert "element_in=" not in html
    html = _page(world["people"]["decision_maker"], f"scheme=csods&version={world['v1'].pk}")
    assert "element_in=" in html
