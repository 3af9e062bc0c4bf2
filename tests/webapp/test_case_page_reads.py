"""The case page reads the case's own rows (events, notes, documents, open tasks, clocks, pauses,
pending extensions) in one statement and its diagram's marks from the case row, stored at each
step: what it shows is unchanged, its statements do not grow with the rows it shows, and it
does not load the workflow."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import ProcessInstance
from tests import factories
from tests.factories import signed_in
from webapp.cases import clock_services, services
from webapp.cases.diagram import marks_of
from webapp.cases.evidence import note_add
from webapp.cases.models import Case
from webapp.processes.registry import definition_for_id

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    people = factories.csods_officers()
    officer = people["case_officer"]
    officer.first_name, officer.last_name = "Priya", "Shah"
    officer.save()
    officer.membership.collar_number = "4471"
    officer.membership.save()
    return people


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _case_in_checks(world) -> Case:
    """A case past its initial checks: its verification interview is the open task."""
    case = services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))
    services.task_complete(user=world["case_officer"],
                           task_id=case.tasks.get(bpmn_id="ut_initial_checks").pk,
                           data=factories.sample("initial_checks"))
    return Case.objects.get(pk=case.pk)


def _add_rows(world, case: Case, n: int) -> None:
    """``n`` notes and documents, a pause and a resumption, an extension asked for."""
    client = signed_in(world["case_officer"])
    for i in range(n):
        note_add(user=world["case_officer"], reference=case.reference, text=f"Rang back {i}")
        response = client.post(f"/cases/{case.reference}/documents/new/", {
            "kind": "identity", "description": f"Passport page {i}",
            "file": SimpleUploadedFile(f"p{i}.pdf", PDF, content_type="application/pdf")})
        assert response.status_code == 302
    clock_services.clock_pause(user=world["case_officer"], reference=case.reference,
                               clock="overall", reason=f"awaiting the applicant {n}")
    clock_services.clock_resume(user=world["case_officer"], reference=case.reference,
                                clock="overall")
    clock_services.extension_request(user=world["case_officer"], reference=case.reference,
                                     clock="overall", duration="P7D",
                                     reason=f"interpreter needed {n}")


def _statements(user, url: str) -> int:
    client = signed_in(user)
    client.get(url)  # the session's first request does one-off work
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _marks(html: str) -> dict:
    found = re.search(r'<script id="diagram-marks" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


def test_the_page_shows_the_rows_read_together_each_officer_by_name(world):
    case = _case_in_checks(world)
    _add_rows(world, case, 1)
    html = signed_in(world["decision_maker"]).get(f"/cases/{case.reference}/").content.decode()
    text = _text(html)
    assert "Rang back 0" in text  # the note, in the timeline
    assert "Note by Priya Shah (4471)" in text
    assert "Identity evidence: Passport page 0" in text  # the documents section
    assert "added by Priya Shah (4471)" in text
    assert "awaiting the applicant 1" in text  # the clock's pause
    assert "more requested by Priya Shah (4471): interpreter needed 1" in text
    assert "Initial checks" in text and "Enquiry recorded" in text  # the case's events
    tasks = html.split('id="tasks-heading"', 1)[1].split("</section>", 1)[0]
    assert tasks.count("<li>") == 1 and "Verification interview" in tasks


def test_the_pages_statements_do_not_grow_with_the_rows_it_shows(world):
    case = _case_in_checks(world)
    _add_rows(world, case, 1)
    url = f"/cases/{case.reference}/"
    few = _statements(world["decision_maker"], url)
    _add_rows(world, case, 3)  # more notes, documents, pauses and extensions
    many = _statements(world["decision_maker"], url)
    assert many == few
    # the layout's 5 (session, user, second factor, membership, force), the case,
    # need-to-know, its party rows, the linked cases, the access-log entry (3 on SQLite, 1 on
    # PostgreSQL), the case's own rows, the owner choices (19 statements before session 9)
    assert many <= 14


def test_each_step_stores_the_diagram_marks_the_page_shows_without_the_workflow(world):
    case = _case_in_checks(world)
    expected = marks_of(ProcessInstance.load(definition_for_id(case.version_id), case.state),
                        case.version.process_id, open_case=True)
    assert case.marks == expected
    assert expected["processes"] == ["csods_interview", "csods"]
    # the page reads the stored marks: a workflow state it could not load changes nothing
    Case.objects.filter(pk=case.pk).update(state=b"not a workflow")
    html = signed_in(world["decision_maker"]).get(f"/cases/{case.reference}/").content.decode()
    assert _marks(html) == expected


def test_a_case_stored_before_the_marks_gets_them_from_its_state_on_its_first_page(world):
    case = _case_in_checks(world)
    stored = case.marks
    Case.objects.filter(pk=case.pk).update(marks=None)  # as the migration leaves a case
    html = signed_in(world["decision_maker"]).get(f"/cases/{case.reference}/").content.decode()
    assert _marks(html) == stored
    assert Case.objects.get(pk=case.pk).marks == stored  # the next page need not load it
