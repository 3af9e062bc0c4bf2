"""Case documents: accepted by their content, not their name; stored outside the case row;
downloaded only through the need-to-know check, logged, never shown inline; erased with the
case, bytes and all."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.file_types import sniff
from webapp.cases.models import Attachment, Case
from webapp.cases.retention import retention_ask, retention_decide

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
ZIP = b"PK\x03\x04" + b"\x00" * 40


@pytest.fixture
def world():
    people = factories.csods_officers()
    people["alice"] = factories.officer("alice", people["force"], "auditor")
    people["bob"] = factories.officer("bob", people["force"], "auditor")
    return people


def _start(world) -> Case:
    return services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))


def _upload(client, case: Case, content: bytes, name: str, kind: str = "identity"):
    return client.post(f"/cases/{case.reference}/documents/new/", {
        "kind": kind, "description": "Passport photo page",
        "file": SimpleUploadedFile(name, content, content_type="application/octet-stream")})


def _stored(attachment: Attachment, settings) -> Path:
    return Path(settings.MEDIA_ROOT) / attachment.stored_name


def test_a_pdf_renamed_txt_is_stored_as_a_pdf_outside_the_case_row(world, settings):
    case = _start(world)
    client = signed_in(world["contact_handler"])
    assert client.get(f"/cases/{case.reference}/documents/new/").status_code == 200

    answer = _upload(client, case, PDF, "letter.txt")

    assert answer.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest() and attachment.size == len(PDF)
    assert _stored(attachment, settings).read_bytes() == PDF
    assert "letter" not in attachment.stored_name  # a generated name, not the uploader's
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Identity evidence: Passport photo page" in page and "Document added" in page
    logged = AccessLog.objects.get(object_type="attachment", object_id=case.reference)
    assert logged.operation == "collect"


@pytest.mark.parametrize(("content", "name"), [(HTML, "evidence.pdf"), (SVG, "photo.png"),
                                               (ZIP, "scans.pdf"), (b"#!/bin/sh\x00rm", "a.txt")])
def test_markup_scripts_and_archives_are_refused_whatever_their_name(world, settings,
                                                                     content, name):
    case = _start(world)
    answer = _upload(signed_in(world["contact_handler"]), case, content, name)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page
    assert "The document must be a PDF, a PNG or JPEG image, or a plain text or CSV file" in page
    assert "Passport photo page" in page  # the typed description is kept
    assert not Attachment.objects.exists()
    root = Path(settings.MEDIA_ROOT)
    assert not root.exists() or not any(root.iterdir())


def test_plain_text_and_csv_are_accepted_as_text():
    assert sniff(b"name,date\nA,1 May 2026\n").content_type == "text/plain"
    assert sniff("Réponse du partenaire".encode()).content_type == "text/plain"
    assert sniff(PNG).content_type == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0JFIF").content_type == "image/jpeg"
    assert sniff(b"  <html><p>hi</p>") is None
    assert sniff(b"notes then <script>x</script>") is None


def test_a_document_too_big_is_refused_with_a_clear_message_and_nothing_stored(world,
                                                                             settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    case = _start(world)
    answer = _upload(signed_in(world["contact_handler"]), case, PDF + b"0" * 2048, "big.pdf")
    assert answer.status_code == 400
    assert "The document must be smaller than 1.0\xa0KB" in answer.content.decode()
    assert not Attachment.objects.exists()
    root = Path(settings.MEDIA_ROOT)
    assert not root.exists() or not any(root.iterdir())


def test_the_download_is_an_attachment_of_the_sniffed_type_and_is_logged(world):
    case = _start(world)
    client = signed_in(world["contact_handler"])
    _upload(client, case, PDF, "<script>.html")
    attachment = Attachment.objects.get()

    answer = client.get(f"/cases/{case.reference}/documents/{attachment.pk}/")

    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == PDF
    assert answer["Content-Type"] == "application/pdf"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-document-{attachment.pk}.pdf"')
    consulted = AccessLog.objects.get(object_type="attachment", operation="consult")
    assert consulted.fields == [f"attachment {attachment.pk}"]
    assert consulted.actor_username == "contact_handler"


def test_no_download_without_need_to_know(world):
    case = _start(world)
    _upload(signed_in(world["contact_handler"]), case, PDF, "a.pdf")
    attachment = Attachment.objects.get()
    url = f"/cases/{case.reference}/documents/{attachment.pk}/"
    outsider = factories.officer("outsider", world["force"], "disclosure_officer")
    answer = signed_in(outsider).get(url)
    assert answer.status_code == 403
    assert PDF not in answer.content and "break-glass" in answer.content.decode().lower()
    other_force = factories.officer("kent", factories.force("KNT", "Kent"), "case_officer")
    assert signed_in(other_force).get(url).status_code == 404
    assert not AccessLog.objects.filter(object_type="attachment", operation="consult").exists()


def test_erasing_the_case_deletes_the_document_from_disk(world, settings,
                                                         django_capture_on_commit_callbacks):
    case = _start(world)
    _upload(signed_in(world["contact_handler"]), case, PDF, "agreement.pdf", kind="agreement")
    attachment = Attachment.objects.get()
    on_disk = _stored(attachment, settings)
    assert on_disk.exists()
    services.case_withdraw(user=world["contact_handler"], reference=case.reference,
                           reason="Applicant withdrew")
    with time_machine.travel(timezone.now() + timedelta(days=366 * 7), tick=False):
        asked = retention_ask(user=world["alice"], reference=case.reference, action="erase",
                              reason="Reviewed: no longer needed for a policing purpose")
        with django_capture_on_commit_callbacks(execute=True):
            retention_decide(user=world["bob"], request_id=asked.pk, approve=True)

    assert not on_disk.exists()
    attachment.refresh_from_db()
    assert attachment.stored_name == "" and attachment.original_name == ""
    answer = signed_in(world["contact_handler"]).get(
        f"/cases/{case.reference}/documents/{attachment.pk}/")
    assert answer.status_code == 404
