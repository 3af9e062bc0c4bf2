"""Linked cases: a second application about the same person shows the first case on the case
page, across schemes, and each showing is logged as a combination (DPA 2018 s.62)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from tests.factories import page_html
from webapp.audit.models import AccessLog, BreakGlass, Operation
from webapp.cases import services
from webapp.cases.access import visible, visible_sql
from webapp.cases.models import Case
from webapp.forces.models import Membership

pytestmark = pytest.mark.django_db

DVDS = factories.ROOT / "processes" / "dvds"
DEAN = {"first_name": "Dean", "last_name": "Marsh", "date_of_birth": "1984-02-11"}


def _application(subject: dict, *, others: bool = True) -> dict:
    """The sample application about ``subject``; without the sample's other people when not
    ``others``."""
    data = json.loads((DVDS / "forms" / "samples" / "application.json").read_text())
    data["subject"] = {**data["subject"], **subject}
    if not others:
        data["children"] = []
        data["person_at_risk"] = {**data["person_at_risk"], "first_name": "Amy",
                                  "last_name": "Stone", "date_of_birth": "1999-05-05",
                                  "safe_contact_details": "07700 900999"}
    return data


def _enquiry(subject: dict) -> dict:
    data = factories.sample("enquiry")
    data["subject"] = {**data["subject"], **subject}
    return data


@pytest.fixture
def world():
    csods = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=csods)
    factories.deploy(hrt, factories.version("dvds", DVDS))
    people = {role: factories.officer(role, hrt, role)
              for role in ("contact_handler", "case_officer", "decision_maker")}
    people["other_contact"] = factories.officer("other.contact", hrt, "contact_handler")
    return people


def _combinations(reference: str) -> list[AccessLog]:
    return list(AccessLog.objects.filter(operation=Operation.COMBINE, object_id=reference))


def test_a_second_application_about_the_same_subject_shows_the_first(world):
    first = services.case_start(user=world["contact_handler"], scheme="dvds",
                                data=_application(DEAN))
    # the same man, his names the other way round in case, under the other scheme
    second = services.case_start(user=world["contact_handler"], scheme="csods",
                                 data=_enquiry({"first_name": "DEAN", "last_name": "marsh",
                                                "date_of_birth": "1984-02-11"}))
    html = page_html(world["decision_maker"], f"/cases/{second.reference}/")
    assert "The same people in other cases" in html
    assert f'href="/cases/{first.reference}/"' in html
    assert "Subject here is the Subject there (same name and date of birth)" in html
    assert "(Clare&#x27;s Law)" in html  # the other case's scheme
    logged = _combinations(second.reference)
    assert len(logged) == 1 and logged[0].fields == [first.reference]
    assert logged[0].actor_username == "decision_maker"

    page_html(world["decision_maker"], f"/cases/{first.reference}/")
    assert [e.fields for e in _combinations(first.reference)] == [[second.reference]]


def test_the_same_name_with_another_date_of_birth_is_not_linked(world):
    services.case_start(user=world["contact_handler"], scheme="dvds", data=_application(DEAN))
    second = services.case_start(user=world["contact_handler"], scheme="dvds",
                                 data=_application({**DEAN, "date_of_birth": "1990-01-01"},
                                                   others=False))
    html = page_html(world["decision_maker"], f"/cases/{second.reference}/")
    assert "The same people in other cases" not in html
    assert _combinations(second.reference) == []


def test_a_linked_case_outside_the_users_work_shows_no_names(world):
    first = services.case_start(user=world["other_contact"], scheme="dvds",
                                data=_application(DEAN))
    second = services.case_start(user=world["contact_handler"], scheme="dvds",
                                 data=_application(DEAN))
    # the contact handler may not see subjects: the link through the subject is not shown to
    # them; the person at risk (the same sample person in both) links the cases
    html = page_html(world["contact_handler"], f"/cases/{second.reference}/")
    assert f'href="/cases/{first.reference}/"' in html
    assert "Person at risk here is the Person at risk there" in html
    assert "Subject here" not in html
    assert "Outside your work" in html
    linked = html.split("The same people in other cases", 1)[1].split("</section>", 1)[0]
    assert "Chloe Marsh" not in linked


def _visible_by_sql(membership) -> set[int]:
    condition, params = visible_sql(membership, "c")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.id FROM cases_case c WHERE c.force_id = %s AND {condition}",  # noqa: S608
                       [membership.force_id, *params])
        return {row[0] for row in cursor.fetchall()}


def test_whether_a_linked_case_may_be_seen_is_decided_as_the_case_list_decides_it(world):
    """The linked-cases read writes need-to-know in SQL (``visible_sql``): for every kind of
    relationship it finds the cases ``visible`` finds, no more."""
    hrt = Membership.objects.get(user=world["contact_handler"]).force
    other_team = factories.team(hrt, "Another unit")
    world["elsewhere"] = factories.officer("elsewhere", hrt, "case_officer", team_obj=other_team)
    # disclosure officers: no task of these cases is theirs to take
    world["glass"] = factories.officer("glass", hrt, "disclosure_officer")
    world["expired"] = factories.officer("expired", hrt, "disclosure_officer")
    mine = services.case_start(user=world["contact_handler"], scheme="dvds",
                               data=_application(DEAN))
    services.case_start(user=world["other_contact"], scheme="dvds", data=_application(DEAN))
    held = services.case_start(user=world["other_contact"], scheme="dvds",
                               data=_application({**DEAN, "first_name": "Ray"}))
    # a task held by an officer of another unit (given to them before they moved)
    held.tasks.filter(state="ready").update(assignee=world["elsewhere"])
    now = timezone.now()
    BreakGlass.objects.create(user=world["glass"], case=mine, reason_code="cover",
                              reason="covering a colleague today", at=now,
                              expires_at=now + timedelta(hours=1))
    BreakGlass.objects.create(user=world["expired"], case=mine, reason_code="cover",
                              reason="covering a colleague then", at=now - timedelta(hours=9),
                              expires_at=now - timedelta(hours=1))
    seen = {}
    for name in ("contact_handler", "other_contact", "case_officer", "decision_maker",
                 "elsewhere", "glass", "expired"):
        membership = Membership.objects.get(user=world[name])
        expected = set(Case.objects.filter(visible(membership)).values_list("pk", flat=True))
        assert _visible_by_sql(membership) == expected, name
        seen[name] = expected
    assert seen["glass"] == {mine.pk} and seen["expired"] == set()
    assert held.pk in seen["elsewhere"] and seen["contact_handler"] == {mine.pk}
    assert len(seen["decision_maker"]) == 3 and len(seen["case_officer"]) == 3
