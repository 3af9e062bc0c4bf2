"""Clare's Law returns: Right to Ask and Right to Know applications and their disclosures, as
the scheme declares them (a route's outcome code, and a disclosure of that route), each number
opening exactly its cases."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine

from tests import factories
from tests.factories import signed_in
from webapp.cases import services

pytestmark = pytest.mark.django_db
DVDS = factories.ROOT / "processes" / "dvds"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FY = "from-day=1&from-month=4&from-year=2025&to-day=31&to-month=3&to-year=2026"


def _application(**answers) -> dict:
    return {**json.loads((DVDS / "forms" / "samples" / "application.json").read_text()),
            **answers}


def _right_to_ask() -> dict:
    demo = json.loads((DVDS / "demo.json").read_text())
    return _application(**demo["plans"][0]["answers"]["ut_dv_record_application"])


@pytest.fixture
def world():
    """Hertfordshire on Clare's Law: a Right to Know case walked to its end (a disclosure) and a
    Right to Ask application still open, both in the year to 31 March 2026."""
    hrt = factories.force(process=factories.version("dvds", DVDS))
    users = {role: factories.officer(role, hrt, role) for role in factories.WORK_ROLES}
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        know = services.case_start(user=users["contact_handler"], data=_application())
        factories.walk(know, users, clock, folder=DVDS)
        ask = services.case_start(user=users["contact_handler"], data=_right_to_ask())
    know.refresh_from_db()
    assert know.status == "closed" and "Disclosure" in know.outcome_codes, know.outcome_codes
    return users, {"know": know.reference, "ask": ask.reference}


def _get(client, url: str) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_each_route_and_its_disclosures_are_counted_and_open_their_cases(world):
    users, ref = world
    dm = signed_in(users["decision_maker"])
    html = _get(dm, f"/returns/?{FY}")
    charts = json.loads(re.search(r'<script id="charts-data" type="application/json">(.*?)'
                                  r'</script>', html, re.S).group(1))
    counts = charts["returns-dvds"]
    assert counts["rows"] == [["Applications", 2], ["Right to Ask applications", 1],
                              ["Right to Ask disclosures", 0], ["Right to Know applications", 1],
                              ["Right to Know disclosures", 1], ["Disclosures", 1]]
    expected = [{"know", "ask"}, {"ask"}, set(), {"know"}, {"know"}, {"know"}]
    for (label, n), (link,), cases in zip(counts["rows"], counts["links"], expected,
                                          strict=True):
        listed = _get(dm, unescape(link))
        rows = listed.split("<tbody", 1)[1] if "<tbody" in listed else ""
        found = set(re.findall(r'href="/cases/([^/"]+)/"', rows))
        assert found == {ref[c] for c in cases}, label
        assert len(found) == n, label
