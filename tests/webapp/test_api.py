"""The REST API: tokens, problem+json, force scoping, If-Match, idempotency, no mass assignment."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from tests import factories
from webapp.api.auth import token_create, token_revoke
from webapp.cases.models import Case, HumanTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    process = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=process)
    war = factories.force("WAR", "Warwickshire", process=process)
    people = {role: factories.officer(f"hrt.{role}", hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker", "policy_lead")}
    people["outsider"] = factories.officer("war.officer", war, "case_officer",
                                           "decision_maker", "contact_handler", "policy_lead")
    return people


def _client(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _start(world) -> dict:
    response = _client(world["contact_handler"]).post(
        "/api/v1/enquiries", {"data": factories.sample("enquiry")}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_token_auth_and_revocation(world):
    client = APIClient()
    assert client.get("/api/v1/cases").status_code == 401
    token, secret = token_create(user=world["case_officer"], name="records system")
    assert secret.startswith(f"dw_{token.prefix}_") and secret[-20:] not in token.key_hash
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/cases").status_code == 200
    token_revoke(token=token)
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_start_an_enquiry_and_read_the_case(world):
    case = _start(world)
    assert case["reference"].startswith("HRT-") and case["stage"].startswith("1.")
    assert {c["clock"] for c in case["clocks"]} == {"initial", "overall"}
    assert case["timeline"][0]["kind"] == "started"
    client = _client(world["case_officer"])
    detail = client.get(f"/api/v1/cases/{case['reference']}").json()
    assert detail["parties"]["applicant"] == case["parties"]["applicant"]
    diagram = client.get(f"/api/v1/cases/{case['reference']}/diagram").json()
    assert diagram["xml"].startswith("<?xml") and "ca_enquiry" in diagram["current"]
    assert diagram["processes"] == ["csods_enquiry", "csods"]  # the stage's process first
    assert "bt_initial_overdue" not in diagram["current"]  # a watching timer is not a step
    listing = client.get("/api/v1/cases", {"q": case["parties"]["applicant"][0].split()[0]}).json()
    assert [c["reference"] for c in listing["results"]] == [case["reference"]]


def test_errors_are_problem_details_with_field_errors_and_a_correlation_id(world):
    client = _client(world["contact_handler"])
    response = client.post("/api/v1/enquiries", {"data": {"channel": "carrier pigeon"}},
                           format="json", HTTP_X_REQUEST_ID="req-12345678")
    body = response.json()
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == "invalid" and body["correlation_id"] == "req-12345678"
    assert "channel" in body["field_errors"] and "applicant" in body["field_errors"]
    assert Case.objects.count() == 0


def test_mass_assignment_is_refused_and_changes_nothing(world):
    client = _client(world["contact_handler"])
    response = client.post("/api/v1/enquiries", {
        "data": factories.sample("enquiry"), "force": "WAR", "status": "closed",
        "outcome_codes": ["DisclosureChildSexualOffence"], "definition_version": 99},
        format="json")
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {
        "force", "status", "outcome_codes", "definition_version"}
    assert Case.objects.count() == 0


def test_task_query_claim_and_complete_with_if_match(world):
    case = _start(world)
    officer = _client(world["case_officer"])
    tasks = officer.get("/api/v1/tasks", {"candidateRole": "case_officer", "unassigned": "true",
                                          "caseReference": case["reference"]}).json()
    (task,) = tasks["results"]
    assert task["bpmn_id"] == "ut_initial_checks"
    detail = officer.get(f"/api/v1/tasks/{task['id']}")
    etag = detail["ETag"]
    assert detail.json()["form"]["title"]
    assert officer.post(f"/api/v1/tasks/{task['id']}/claim").json()["assignee"] == (
        "hrt.case_officer")
    mine = officer.get("/api/v1/tasks", {"assignee": "me"}).json()["results"]
    assert [t["id"] for t in mine] == [task["id"]]
    stale = officer.post(f"/api/v1/tasks/{task['id']}/complete",
                         {"data": factories.sample("initial_checks")}, format="json",
                         HTTP_IF_MATCH='"999"')
    assert stale.status_code == 409 and "stale" in stale.json()["detail"]
    done = officer.post(f"/api/v1/tasks/{task['id']}/complete",
                        {"data": factories.sample("initial_checks")}, format="json",
                        HTTP_IF_MATCH=etag)
    assert done.status_code == 200 and done.json()["stage"].startswith("2.")
    again = officer.post(f"/api/v1/tasks/{task['id']}/complete",
                         {"data": factories.sample("initial_checks")}, format="json")
    assert again.status_code == 409


def test_idempotency_key_gives_one_effect_and_the_same_response(world):
    client = _client(world["contact_handler"])
    body = {"data": factories.sample("enquiry")}
    first = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    other = client.post("/api/v1/enquiries", {"data": {}}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422


def test_another_forces_objects_are_404_on_every_route(world):
    case = _start(world)
    task = HumanTask.objects.get(case__reference=case["reference"])
    outsider = _client(world["outsider"])
    leaks = []
    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) != "api/":
            continue
        for route in pattern.url_patterns:
            path = "/api/" + str(route.pattern)
            if "<" not in path:
                continue
            url = path.replace("<str:reference>", case["reference"]).replace(
                "<int:task_id>", str(task.pk))
            for method in ("get", "post"):
                response = getattr(outsider, method)(url, {}, format="json")
                if response.status_code not in (404, 405):
                    leaks.append((method, url, response.status_code))
                elif case["reference"] in response.content.decode():
                    leaks.append((method, url, "reference echoed"))
    assert leaks == []
    assert outsider.get("/api/v1/cases").json()["results"] == []
    assert outsider.get("/api/v1/tasks").json()["results"] == []


def test_policy_leads_read_versions_and_deployments_others_cannot(world):
    lead = _client(world["policy_lead"])
    versions = lead.get("/api/v1/process-versions").json()
    assert versions[0]["process_id"] == "csods" and versions[0]["number"] == 1
    assert lead.get("/api/v1/deployments").json() == []
    assert _client(world["case_officer"]).get("/api/v1/process-versions").status_code == 403


def test_session_writes_need_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world["contact_handler"])
    response = client.post("/api/v1/enquiries", {"data": factories.sample("enquiry")},
                           format="json")
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_the_openapi_schema_documents_every_endpoint(world):
    schema = _client(world["case_officer"]).get("/api/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    assert {"/api/v1/enquiries", "/api/v1/cases", "/api/v1/cases/{reference}",
            "/api/v1/tasks", "/api/v1/tasks/{task_id}/complete",
            "/api/v1/process-versions"} <= paths
    assert "apiToken" in schema["components"]["securitySchemes"]


def test_task_query_refuses_impossible_time_zone_offsets(world):
    client = _client(world["case_officer"])
    response = client.get("/api/v1/tasks", {"dueAfter": "2534-02-03T21:27:15+23:54"})
    assert response.status_code == 400 and "dueAfter" in response.json()["field_errors"]
    assert client.get("/api/v1/tasks", {"dueAfter": "2026-01-01T00:00:00+01:00"}
                      ).status_code == 200


def test_nul_characters_are_a_clear_400_not_a_server_error(world):
    client = _client(world["case_officer"])
    response = client.get("/api/v1/tasks", {"stage": "a\x00b"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    enquiry = {**factories.sample("enquiry"), "concern": "bad\x00text"}
    created = _client(world["contact_handler"]).post("/api/v1/enquiries", {"data": enquiry},
                                                     format="json")
    assert created.status_code == 400 and "concern" in created.json()["field_errors"]
    page = Client()
    page.force_login(world["case_officer"])
    assert page.get("/cases/", {"q": "x\x00"}).status_code == 400


def test_contact_handlers_get_no_subject_names_from_the_case_list_or_a_search_by_subject(world):
    # given: a case whose subject is Mark Devlin
    case = _start(world)
    contact, dm = _client(world["contact_handler"]), _client(world["decision_maker"])

    # when: the contact handler lists cases and searches by the subject's name
    listed = contact.get("/api/v1/cases").json()["results"]
    by_subject = contact.get("/api/v1/cases", {"q": "Devlin"}).json()["results"]
    by_reference = contact.get("/api/v1/cases", {"q": case["reference"]}).json()["results"]

    # then: the subject is masked, and a search by it finds nothing
    assert [row["reference"] for row in listed] == [case["reference"]]
    assert "subject" not in listed[0]["parties"] and "applicant" in listed[0]["parties"]
    assert by_subject == []
    assert ["subject" in row["parties"] for row in by_reference] == [False]
    # a decision maker still sees and finds the subject
    found = dm.get("/api/v1/cases", {"q": "Devlin"}).json()["results"]
    assert [row["parties"]["subject"] for row in found] == [["Mark Devlin"]]


def test_contact_handlers_cannot_find_a_case_by_subject_name_on_the_search_page(world):
    case = _start(world)
    page = Client()
    page.force_login(world["contact_handler"])

    by_subject = page.get("/cases/", {"q": "Devlin"})
    by_applicant = page.get("/cases/", {"q": "Collins"})

    assert case["reference"] not in by_subject.content.decode()
    assert case["reference"] in by_applicant.content.decode()
    assert "Devlin" not in by_applicant.content.decode()
