"""Case notes: written by anyone working the case, shown in its timeline by the officer's name
(and collar number), logged, and never changed afterwards; auditors only read."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, CaseNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    people = factories.csods_officers()
    people["auditor"] = factories.officer("auditor", people["force"], "auditor")
    people["contact_handler"].first_name, people["contact_handler"].last_name = "Priya", "Shah"
    people["contact_handler"].save()
    membership = people["contact_handler"].membership
    membership.collar_number = "4471"
    membership.save()
    people["stranger"] = factories.officer("stranger", factories.force("KNT", "Kent"),
                                           "case_officer")
    return people


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _start(world) -> Case:
    return services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))


def test_a_note_joins_the_timeline_by_name_and_collar_number_and_is_logged(world):
    case = _start(world)
    client = signed_in(world["contact_handler"])
    url = f"/cases/{case.reference}/notes/new/"
    assert "Add a note" in client.get(f"/cases/{case.reference}/").content.decode()
    assert client.get(url).status_code == 200

    answer = client.post(url, {"text": "Applicant rang: <b>new</b> address\nsecond line"})

    assert answer.status_code == 302
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "&lt;b&gt;new&lt;/b&gt; address<br>second line" in page  # escaped, lines kept
    timeline = _text(page.split('id="timeline-heading"')[1])
    assert "Note by Priya Shah (4471)" in timeline
    logged = AccessLog.objects.get(object_type="case note", object_id=case.reference)
    assert logged.operation == "collect" and logged.actor_username == "contact_handler"


def test_an_empty_note_shows_the_form_again_with_the_message(world):
    case = _start(world)
    answer = signed_in(world["contact_handler"]).post(f"/cases/{case.reference}/notes/new/",
                                                      {"text": "   "})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page and "Enter the note" in page
    assert not CaseNote.objects.exists()


def test_an_auditor_reads_notes_but_cannot_add_one(world):
    case = _start(world)
    signed_in(world["contact_handler"]).post(f"/cases/{case.reference}/notes/new/",
                                             {"text": "Visited the applicant"})
    auditor = signed_in(world["auditor"])
    answer = auditor.post(f"/cases/{case.reference}/notes/new/", {"text": "Auditor's note"})
    assert answer.status_code == 403
    assert list(CaseNote.objects.values_list("text", flat=True)) == ["Visited the applicant"]


def test_an_officer_without_need_to_know_cannot_add_a_note(world):
    case = _start(world)
    outsider = factories.officer("outsider", world["force"], "disclosure_officer")
    answer = signed_in(outsider).post(f"/cases/{case.reference}/notes/new/",
                                      {"text": "Not my case"})
    assert answer.status_code == 403
    assert "Not my case" in answer.content.decode()  # kept on the form
    assert not CaseNote.objects.exists()
    other_force = signed_in(world["stranger"]).get(f"/cases/{case.reference}/notes/new/")
    assert other_force.status_code == 404


def test_notes_cannot_be_changed_through_any_route(world):
    case = _start(world)
    client = signed_in(world["contact_handler"])
    client.post(f"/cases/{case.reference}/notes/new/", {"text": "First"})
    client.post(f"/cases/{case.reference}/notes/new/", {"text": "Second"})
    assert list(CaseNote.objects.order_by("pk").values_list("text", flat=True)) == [
        "First", "Second"]  # a second note adds, it does not replace
