"""Hostile form schemas and form data through the studio, the enquiry and the task, HTML and API.

A policy lead's save reports what is unsafe in a form (and publishing is refused); what is saved
and deployed validates an officer's submission offline and in bounded time, and every refusal
is a 400 (problem+json on the API, the form shown again on HTML), never a 500.
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from webapp.api.auth import token_create
from webapp.cases.models import Case, HumanTask
from webapp.processes.models import ProcessVersion

pytestmark = pytest.mark.django_db

EVIL = "a" * 29 + "!"  # 13.7 s against ^(a+)+$ with a backtracking engine
BOUND = 2.0  # seconds; the issue asks for about one


@pytest.fixture
def world(tmp_path: Path) -> dict:
    """The mini process with forms a policy lead could save today: a backtracking-prone
    pattern (RE2 takes it in linear time) and a number that must be a multiple of 0.5."""
    folder = tmp_path / "mini"
    shutil.copytree(factories.MINI, folder)
    enter = json.loads((folder / "forms" / "enter.schema.json").read_text())
    enter["properties"]["concern"]["pattern"] = "^(a+)+$"
    enter["properties"]["amount"] = {"type": "number", "multipleOf": 0.5, "title": "Amount"}
    enter["properties"]["count"] = {"type": "integer", "title": "Count"}
    (folder / "forms" / "enter.schema.json").write_text(json.dumps(enter))
    approve = json.loads((folder / "forms" / "approve.schema.json").read_text())
    approve["properties"]["rationale"]["pattern"] = "^(a+)+$"
    (folder / "forms" / "approve.schema.json").write_text(json.dumps(approve))
    version = factories.version("mini", folder)
    hrt = factories.force(process=version)
    return {"version": version,
            "officer": factories.officer("hrt.officer", hrt, "case_officer"),
            "dm": factories.officer("hrt.dm", hrt, "decision_maker"),
            "lead": factories.officer("hrt.lead", hrt, "policy_lead")}


def _api(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _html(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _enquiry(**changes: object) -> dict:
    return {"concern": "aaaa", "children": [{"name": "Ann", "age": 4}, {"name": "Bo", "age": 6}],
            **changes}


def _enquiry_post(**changes: str) -> dict:
    return {"concern": "aaaa", "children.0.name": "Ann", "children.0.age": "4",
            "children.1.name": "Bo", "children.1.age": "6", **changes}


def _assert_problem(response, field: str) -> dict:
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert field in body["field_errors"], body
    return body


# --- the enquiry ----------------------------------------------------------------------------


def test_a_catastrophic_pattern_on_the_enquiry_api_is_refused_quickly(world):
    client = _api(world["officer"])
    started = time.perf_counter()
    response = client.post("/api/v1/enquiries", {"data": _enquiry(concern=EVIL)}, format="json")
    assert time.perf_counter() - started < BOUND
    body = _assert_problem(response, "concern")
    assert body["field_errors"]["concern"] == ["Enter the concern in the right format"]
    assert Case.objects.count() == 0


def test_a_catastrophic_pattern_on_the_enquiry_page_is_refused_quickly(world):
    client = _html(world["officer"])
    started = time.perf_counter()
    response = client.post("/enquiries/new/", _enquiry_post(concern=EVIL))
    assert time.perf_counter() - started < BOUND
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the concern in the right format" in page and 'name="concern"' in page
    assert Case.objects.count() == 0


def test_a_huge_number_on_the_enquiry_page_shows_the_form_again(world):
    # A guard: past 30 digits the page keeps the text, so int() never meets 5,000 digits.
    response = _html(world["officer"]).post("/enquiries/new/", _enquiry_post(count="9" * 5000))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The count must be a whole number" in page and 'name="count"' in page
    assert Case.objects.count() == 0


def test_a_number_past_the_exact_range_on_the_enquiry_page_is_refused(world):
    response = _html(world["officer"]).post("/enquiries/new/", _enquiry_post(count="9" * 30))
    assert response.status_code == 400
    assert "Enter a number between" in response.content.decode()


@pytest.mark.parametrize("number", [10**4000, 10**20],
                         ids=["4000 digits", "10**20"])
def test_a_huge_number_on_the_enquiry_api_is_a_problem_not_a_500(world, number):
    response = _api(world["officer"]).post(
        "/api/v1/enquiries", {"data": _enquiry(amount=number)}, format="json")
    _assert_problem(response, "amount")
    assert Case.objects.count() == 0


def test_deeply_nested_data_on_the_enquiry_api_is_a_problem_not_a_500(world):
    nested = "[" * 800 + "]" * 800  # parses as JSON; too deep for the recursive checks
    body = '{"data": {"concern": "aaaa", "children": [], "notes": ' + nested + "}}"
    response = _api(world["officer"]).post("/api/v1/enquiries", body,
                                           content_type="application/json")
    # the API's parser refuses it before any service or validator walks it
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    assert "nested too deeply" in response.json()["detail"]


# --- a task ---------------------------------------------------------------------------------


def _approval_task(world) -> HumanTask:
    response = _api(world["officer"]).post("/api/v1/enquiries", {"data": _enquiry()},
                                           format="json")
    assert response.status_code == 201, response.content
    return HumanTask.objects.get(case__reference=response.json()["reference"],
                                 bpmn_id="ut_approve", completed_at__isnull=True)


def test_a_catastrophic_pattern_on_a_task_api_is_refused_quickly(world):
    task = _approval_task(world)
    client = _api(world["dm"])
    assert client.post(f"/api/v1/tasks/{task.pk}/claim").status_code == 200
    started = time.perf_counter()
    response = client.post(f"/api/v1/tasks/{task.pk}/complete",
                           {"data": {"approved": True, "rationale": EVIL}}, format="json")
    assert time.perf_counter() - started < BOUND
    _assert_problem(response, "rationale")
    task.refresh_from_db()
    assert task.completed_at is None


def test_a_catastrophic_pattern_on_a_task_page_is_refused_quickly(world):
    task = _approval_task(world)
    client = _html(world["dm"])
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    started = time.perf_counter()
    response = client.post(f"/tasks/{task.pk}/", {"approved": "yes", "rationale": EVIL})
    assert time.perf_counter() - started < BOUND
    assert response.status_code == 400
    assert "in the right format" in response.content.decode()
    task.refresh_from_db()
    assert task.completed_at is None


# --- the studio -----------------------------------------------------------------------------


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"title": "INTERNAL-API-SECRET"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal_api() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    server = http.server.HTTPServer(("127.0.0.1", 0), type("H", (_Listener,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/internal-api", hits
    server.shutdown()
    server.server_close()


def _draft_with(world, client: Client, form: str) -> tuple[int, dict]:
    response = client.post(f"/studio/versions/{world['version'].pk}/draft/")
    assert response.status_code == 302
    draft_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    saved = client.post(f"/studio/drafts/{draft_id}/save/",
                        json.dumps({"files": {"forms/enter.schema.json": form}}),
                        content_type="application/json")
    assert saved.status_code == 200, saved.content[:300]
    return draft_id, saved.json()


def _form_messages(body: dict) -> list[str]:
    return [p["message"] for p in body["problems"]
            if p["file"] == "forms/enter.schema.json" and p["severity"] == "error"]


def test_the_studio_reports_a_remote_ref_and_will_not_publish_it(world, internal_api):
    url, hits = internal_api
    client = _html(world["lead"])
    schema = json.loads(world["version"].files["forms/enter.schema.json"])
    schema["properties"]["concern"] = {"$ref": url}
    draft_id, body = _draft_with(world, client, json.dumps(schema))
    (message,) = _form_messages(body)
    assert "only references inside this form are allowed" in message
    page = client.get(f"/studio/drafts/{draft_id}/").content.decode()
    assert "only references inside this form are allowed" in page
    published = client.post(f"/studio/drafts/{draft_id}/publish/", {"note": "remote form"})
    assert published.status_code == 409
    assert ProcessVersion.objects.count() == 1
    assert hits == []


def test_the_studio_reports_a_pattern_re2_cannot_run_naming_the_field(world):
    schema = json.loads(world["version"].files["forms/enter.schema.json"])
    schema["properties"]["concern"]["pattern"] = "^(?!x)(a)\\1$"
    _, body = _draft_with(world, _html(world["lead"]), json.dumps(schema))
    (message,) = _form_messages(body)
    assert message.startswith("field 'concern': pattern")


@pytest.mark.parametrize("form", [
    '{"$ref": "#"}',
    '{"type": "object", "properties": {"x": {"$ref": "#"}}}',
    '{"a":' * 100_000 + "{}" + "}" * 100_000,
], ids=["self ref", "ref to an ancestor", "100,000 deep"])
def test_the_studio_reports_a_self_referencing_or_deep_form_not_a_500(world, form):
    client = _html(world["lead"])
    draft_id, body = _draft_with(world, client, form)
    assert _form_messages(body)
    assert client.get(f"/studio/drafts/{draft_id}/").status_code == 200


def test_uploading_a_deep_form_file_reports_it_not_a_500(world):
    client = _html(world["lead"])
    response = client.post(f"/studio/versions/{world['version'].pk}/draft/")
    draft_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    upload = SimpleUploadedFile("enter.schema.json", deep, content_type="application/json")
    response = client.post(f"/studio/drafts/{draft_id}/upload/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "nested deeper than 64 levels" in response.content.decode()


def test_a_text_longer_than_case_data_holds_is_refused_whatever_the_form_allows(world):
    # the mini form's "concern" has no maxLength: the case data's own limit still holds
    response = _api(world["officer"]).post(
        "/api/v1/enquiries", {"data": _enquiry(concern="a" * 100_001)}, format="json")
    body = _assert_problem(response, "concern")
    assert "100,000 characters" in body["field_errors"]["concern"][0]
    assert Case.objects.count() == 0


def test_an_api_body_larger_than_the_upload_limit_is_a_400_problem(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    body = json.dumps({"data": _enquiry(concern="a" * 60_000)})
    response = _api(world["officer"]).post("/api/v1/enquiries", body,
                                           content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "larger than 50,000 bytes" in response.json()["detail"]
    assert Case.objects.count() == 0
