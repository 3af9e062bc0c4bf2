"""The case list's filters that the dashboard links to, each shown in words, each on top of
need-to-know: a filter narrows what a user may see, never widens it."""

from __future__ import annotations

import pytest

from tests.factories import signed_in
from tests.webapp.test_dashboard_links import _get, _references, world  # noqa: F401
from webapp.cases.models import Case

pytestmark = pytest.mark.django_db


def _listed(user, query: str) -> tuple[set[str], str]:
    html = _get(signed_in(user), f"/cases/?{query}")
    return _references(html), html


def test_stage_and_status_filters(world):  # noqa: F811
    people, ref = world
    cases, _ = _listed(people["decision_maker"],
                       "status=open&stage=2.+Verification+interview")
    assert cases == {ref["A"], ref["B"]}


def test_cases_not_yet_in_a_stage_have_a_filter_of_their_own(world):  # noqa: F811
    people, ref = world
    Case.objects.filter(reference=ref["A"]).update(stage="")
    cases, html = _listed(people["decision_maker"], "status=open&stage=%28not+started%29")
    assert cases == {ref["A"]}
    assert ">Not started</option>" in html


def test_risk_filter_by_marker_and_any(world):  # noqa: F811
    people, ref = world
    cases, html = _listed(people["decision_maker"], "risk=immediate_risk")
    assert cases == {ref["A"]} and "Marked: Immediate risk" in html
    cases, html = _listed(people["decision_maker"], "status=open&risk=any")
    assert cases == {ref["A"]} and "At risk" in html


def test_clock_due_on_a_day_names_the_clock_and_the_day(world):  # noqa: F811
    # A's interview clock started 4 May 11:00 (due 14 May), B's on 5 May 16:00 (due 15 May)
    people, ref = world
    cases, html = _listed(people["decision_maker"],
                          "clocks=due&clock=interview&from=2026-05-15&to=2026-05-15")
    assert cases == {ref["B"]}
    assert "With the Verification interview clock due on 15 May 2026" in html


def test_opened_in_a_period_and_return_categories(world):  # noqa: F811
    people, ref = world
    cases, html = _listed(people["decision_maker"],
                          "opened_from=2026-05-01&opened_to=2026-05-31")
    assert cases == {ref["A"], ref["B"], ref["C"]} and "Opened in May 2026" in html
    cases, _ = _listed(people["decision_maker"], "opened_from=2026-06-01&opened_to=2026-06-30")
    assert cases == set()
    cases, html = _listed(people["decision_maker"], "counts=disclosure")
    assert cases == set() and "Counted as disclosures" in html


def test_filters_apply_within_need_to_know(world):  # noqa: F811
    # given: C is overdue; the first contact handler recorded A and B, the other one C
    people, ref = world

    # then: each sees only the overdue cases they may see; a supervisor sees all of them
    assert _listed(people["contact_handler"], "clocks=overdue")[0] == set()
    assert _listed(people["other_contact"], "clocks=overdue")[0] == {ref["C"]}
    assert _listed(people["decision_maker"], "clocks=overdue")[0] == {ref["C"]}
    assert _listed(people["contact_handler"], "clocks=met&from=2026-05-01&to=2026-05-31")[0] \
        == {ref["A"]}


def test_unknown_filter_values_are_ignored_and_the_filters_survive_a_new_search(world):  # noqa: F811
    people, ref = world
    cases, html = _listed(people["decision_maker"], "clocks=nonsense&from=x&to=y&q=")
    assert cases == {ref["A"], ref["B"], ref["C"]} and "Showing only cases" not in html
    _, html = _listed(people["decision_maker"], "clocks=breached&from=2026-05-01&to=2026-05-31")
    assert '<input type="hidden" name="clocks" value="breached">' in html
    assert '<input type="hidden" name="from" value="2026-05-01">' in html


@pytest.mark.parametrize("query", ["version=%C2%B2", "version=99999999999999999999999",
                                   "closed_from=2026-01-01&closed_to=9999-12-31",
                                   "opened_from=0001-01-01&opened_to=9999-12-31"])
def test_odd_values_are_ignored_not_a_server_error(world, query):  # noqa: F811
    """A superscript digit passes str.isdigit but not int(); a far year overflows the day after
    it: both are filters the list leaves out, never a 500."""
    people, ref = world
    cases, html = _listed(people["decision_maker"], query)
    assert cases == {ref["A"], ref["B"], ref["C"]}
    assert "Showing only cases" not in html
    _listed(people["decision_maker"], "clocks=due&from=2026-01-01&to=9999-12-31")  # a 200
