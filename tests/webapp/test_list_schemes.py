"""The lists (My tasks, Team queue, cases) read the force's schemes in the statement that reads
the force for the layout: no statement of their own, and a scheme deployed a moment ago is
shown at once, in a session already open."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.factories import signed_in
from webapp.forces.models import Force, SchemeDeployment
from webapp.permissions import member
from webapp.processes.deployments import read_with_force

pytestmark = pytest.mark.django_db

LISTS = ("/my-tasks/", "/queue/", "/cases/")


@pytest.fixture
def world():
    """Hertfordshire runs the mini scheme only; a case officer and a decision maker."""
    hrt = factories.force()
    return {"hrt": hrt, "officer": factories.officer("officer", hrt, "case_officer"),
            "dm": factories.officer("dm", hrt, "decision_maker")}


def _scheme_options(html: str) -> list[str]:
    """The titles offered by the page's scheme filter (none when the force runs one)."""
    select = re.search(r'<select class="govuk-select" id="scheme(?:-filter)?" name="scheme">'
                       r"(.*?)</select>", html, re.S)
    return ([unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]
            if select else [])


def test_a_scheme_deployed_meanwhile_is_offered_on_the_next_page_of_an_open_session(world):
    # given a session that has shown each list while the force ran one scheme
    client = signed_in(world["dm"])
    for url in LISTS:
        assert _scheme_options(client.get(url).content.decode()) == [], url
    # when the force is given a second scheme
    factories.deploy(world["hrt"], factories.version("csods", factories.CSODS))
    # then each list offers both at once
    for url in LISTS:
        options = _scheme_options(client.get(url).content.decode())
        assert options[0] == "Every scheme" and "Sarah's Law" in options, (url, options)
        assert len(options) == 3, (url, options)


def test_a_scheme_the_force_stops_running_elsewhere_leaves_its_lists(world):
    factories.deploy(world["hrt"], factories.version("csods", factories.CSODS))
    client = signed_in(world["officer"])
    assert len(_scheme_options(client.get("/my-tasks/").content.decode())) == 3
    SchemeDeployment.objects.filter(force=world["hrt"], scheme="csods").delete()
    assert _scheme_options(client.get("/my-tasks/").content.decode()) == []


@pytest.mark.parametrize("url", LISTS)
def test_a_list_reads_the_force_and_its_schemes_in_one_statement(world, url):
    client = signed_in(world["dm"])
    client.get(url)
    with CaptureQueriesContext(connection) as ran:
        page = client.get(url)
    assert page.status_code == 200
    assert world["hrt"].name in page.content.decode()  # the layout names the force
    reading = [q["sql"] for q in ran.captured_queries
               if "forces_force" in q["sql"] or "forces_schemedeployment" in q["sql"]]
    assert len(reading) == 1, reading
    assert "forces_schemedeployment" in reading[0] and "forces_force" in reading[0]


def _fresh_membership(user):
    """The membership as a request reads it: without its force."""
    return member(get_user_model().objects.get(pk=user.pk))


def test_a_force_running_no_scheme_still_comes_with_the_membership():
    bare = Force.objects.create(code="XX", name="Nowhere")
    membership = _fresh_membership(factories.officer("lone", bare, "case_officer"))
    with CaptureQueriesContext(connection) as ran:
        assert read_with_force(membership) == []
        assert membership.force.name == "Nowhere"
    assert len(ran.captured_queries) == 1


def test_the_schemes_come_with_the_force_and_their_versions(world):
    csods = factories.version("csods", factories.CSODS)
    factories.deploy(world["hrt"], csods)
    membership = _fresh_membership(world["officer"])
    with CaptureQueriesContext(connection) as ran:
        found = read_with_force(membership)
        assert membership.force.code == "HRT" and found[0].force is membership.force
    assert len(ran.captured_queries) == 1
    mini = SchemeDeployment.objects.get(force=world["hrt"], scheme="mini").active_version_id
    assert [(d.scheme, d.active_version_id) for d in found] == [("csods", csods.pk),
                                                                ("mini", mini)]
    # read again once the force is known: the schemes alone
    with CaptureQueriesContext(connection) as ran:
        again = read_with_force(membership)
    assert [d.scheme for d in again] == ["csods", "mini"] and len(ran.captured_queries) == 1
