"""The API does what the pages do: clocks, extensions, alerts, incidents, break-glass, the access
log and a case's recorded answers, with the pages' permission decisions and words."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.factories import signed_in
from webapp.api.auth import token_create
from webapp.audit.models import AccessLog, BreakGlass
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, Incident
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent, ExtensionRequest

pytestmark = pytest.mark.django_db
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer", "auditor")


@pytest.fixture
def world():
    process = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=process)
    war = factories.force("WAR", "Warwickshire", process=process)
    people = {role: factories.officer(f"hrt.{role}", hrt, role) for role in ROLES}
    people["second_dm"] = factories.officer("hrt.second_dm", hrt, "decision_maker")
    people["second_auditor"] = factories.officer("hrt.second_auditor", hrt, "auditor")
    people["outsider"] = factories.officer("war.officer", war, "case_officer", "decision_maker",
                                           "contact_handler", "auditor")
    people["case"] = services.case_start(user=people["contact_handler"],
                                         data=factories.sample("enquiry"))
    return people


def _api(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def _page_says(response, words: str) -> bool:
    return words in html.unescape(response.content.decode())


def test_pause_and_resume_a_clock_as_the_case_page_does(world):
    case = world["case"]
    url = f"/api/v1/cases/{case.reference}/clocks/initial"
    officer = _api(world["case_officer"])

    paused = officer.post(f"{url}/pause", {"reason": "Applicant in hospital"}, format="json")

    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    page = signed_in(world["case_officer"]).get(f"/cases/{case.reference}/")
    assert _page_says(page, "Paused since") and _page_says(page, "Applicant in hospital")
    again = _problem(officer.post(f"{url}/pause", {"reason": "Twice"}, format="json"), 409)
    assert again["detail"] == "The initial checks clock is paused."
    resumed = officer.post(f"{url}/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "running"
    assert CaseClock.objects.get(case=case, clock="initial").paused_since is None
    assert _problem(officer.post(f"{url}/resume"), 409)["detail"] == (
        "The initial checks clock is not paused.")


def test_a_role_the_pause_page_refuses_gets_the_same_403_whatever_the_body(world):
    case = world["case"]
    path = f"cases/{case.reference}/clocks/initial/pause"

    page = signed_in(world["contact_handler"]).post(f"/{path}/", {"reason": "Because"})
    refused = _problem(_api(world["contact_handler"]).post(f"/api/v1/{path}", {},
                                                           format="json"), 403)

    assert page.status_code == 403 and _page_says(page, refused["detail"])
    assert refused["detail"] == "Only a case officer or decision maker may do that."
    assert not ClockEvent.objects.filter(case=case, kind="paused").exists()


def test_bad_clock_input_is_a_400_with_a_message_and_another_force_is_a_404(world):
    case = world["case"]
    url = f"/api/v1/cases/{case.reference}/clocks/initial"
    officer = _api(world["case_officer"])

    blank = _problem(officer.post(f"{url}/pause", {"reason": ""}, format="json"), 400)
    too_long = _problem(officer.post(f"{url}/extensions",
                                     {"amount": 1000, "unit": "days", "reason": "More"},
                                     format="json"), 400)
    unknown = _problem(officer.post(f"{url}/pause", {"reason": "x", "state": "met"},
                                    format="json"), 400)

    assert blank["field_errors"]["reason"] and too_long["field_errors"]["amount"]
    assert unknown["field_errors"] == {"state": ["This field is not accepted."]}
    no_clock = _problem(officer.post(f"/api/v1/cases/{case.reference}/clocks/nope/pause",
                                     {"reason": "x"}, format="json"), 404)
    assert no_clock["detail"] == "No such clock in your force."
    outsider = _api(world["outsider"])
    for action in ("pause", "resume", "extensions"):
        answer = _problem(outsider.post(f"{url}/{action}", {}, format="json"), 404)
        assert case.reference not in answer["detail"]
    assert CaseClock.objects.get(case=case, clock="initial").state == "running"


def test_an_extension_is_requested_and_decided_by_another_decision_maker(world):
    case = world["case"]
    officer, dm = _api(world["case_officer"]), _api(world["decision_maker"])

    asked = officer.post(f"/api/v1/cases/{case.reference}/clocks/overall/extensions",
                         {"amount": 7, "unit": "days", "reason": "Interpreter needed"},
                         format="json", HTTP_IDEMPOTENCY_KEY="ext-1")
    replay = officer.post(f"/api/v1/cases/{case.reference}/clocks/overall/extensions",
                          {"amount": 7, "unit": "days", "reason": "Interpreter needed"},
                          format="json", HTTP_IDEMPOTENCY_KEY="ext-1")

    assert asked.status_code == 201 and replay.json() == asked.json()
    ask = asked.json()
    assert ask["duration"] == "P7D" and ask["duration_words"] == "7 days"
    assert ask["clock_label"] == "Overall response" and ask["approved"] is None
    assert ExtensionRequest.objects.filter(case=case).count() == 1
    pending = dm.get("/api/v1/extensions").json()
    assert [row["id"] for row in pending] == [ask["id"]]
    on_case = officer.get(f"/api/v1/cases/{case.reference}/extensions").json()
    assert [(row["id"], row["requested_by"]) for row in on_case] == [
        (ask["id"], "hrt.case_officer")]
    assert _problem(_api(world["disclosure_officer"]).get(
        f"/api/v1/cases/{case.reference}/extensions"), 403)
    queue = signed_in(world["decision_maker"]).get("/queue/")
    assert _page_says(queue, "Interpreter needed")
    listing = _problem(officer.get("/api/v1/extensions"), 403)
    assert listing["detail"] == "Only a decision maker may do that."

    decide = f"/api/v1/extensions/{ask['id']}/decision"
    page = signed_in(world["case_officer"]).post(f"/extensions/{ask['id']}/decide/",
                                                 {"approve": "yes"})
    refused = _problem(officer.post(decide, {"approve": True}, format="json"), 403)
    assert page.status_code == 403 and _page_says(page, refused["detail"])
    assert _problem(dm.post(decide, {"approve": "maybe"}, format="json"), 400)[
        "field_errors"]["approve"]
    assert _problem(_api(world["outsider"]).post(decide, {"approve": True}, format="json"),
                    404)["detail"] == "No such extension request in your force."

    before = CaseClock.objects.get(case=case, clock="overall").due_at
    approved = dm.post(decide, {"approve": True}, format="json")
    assert approved.status_code == 200 and approved.json()["approved"] is True
    assert approved.json()["decided_by"] == "hrt.decision_maker"
    assert CaseClock.objects.get(case=case, clock="overall").due_at == before + timedelta(days=7)
    assert _problem(dm.post(decide, {"approve": False}, format="json"), 409)
    assert dm.get("/api/v1/extensions").json() == []
    assert officer.get(f"/api/v1/cases/{case.reference}/extensions").json() == []


def test_a_decision_maker_may_not_approve_their_own_extension(world):
    case = world["case"]
    dm = _api(world["decision_maker"])
    ask = dm.post(f"/api/v1/cases/{case.reference}/clocks/overall/extensions",
                  {"amount": 2, "unit": "weeks", "reason": "Partner agency delay"},
                  format="json").json()

    own = _problem(dm.post(f"/api/v1/extensions/{ask['id']}/decision", {"approve": True},
                           format="json"), 403)

    assert own["detail"].startswith("You asked for this extension")
    assert ExtensionRequest.objects.get(pk=ask["id"]).approved is None
    second = _api(world["second_dm"]).post(f"/api/v1/extensions/{ask['id']}/decision",
                                           {"approve": True}, format="json")
    assert second.status_code == 200 and second.json()["approved"] is True


def test_alerts_are_listed_and_acknowledged_as_on_the_team_queue(world):
    case = world["case"]
    with time_machine.travel(case.opened_at + timedelta(hours=19), tick=False):
        timers_sweep()
    alert = ClockAlert.objects.get(case=case, clock="initial")
    dm = _api(world["decision_maker"])

    listed = dm.get("/api/v1/alerts").json()

    assert [(a["case"], a["kind"], a["clock_label"]) for a in listed] == [
        (case.reference, "warning", "Initial checks")]
    assert listed[0]["kind_label"] == "Warning"
    officer = world["case_officer"]
    refused = _problem(_api(officer).get("/api/v1/alerts"), 403)
    page = signed_in(officer).post(f"/alerts/{alert.pk}/acknowledge/")
    api_refused = _problem(_api(officer).post(f"/api/v1/alerts/{alert.pk}/acknowledge"), 403)
    assert page.status_code == 403 and _page_says(page, api_refused["detail"])
    assert refused["detail"] == api_refused["detail"]
    assert _problem(_api(world["outsider"]).post(f"/api/v1/alerts/{alert.pk}/acknowledge"),
                    404)["detail"] == "No such alert in your force."

    done = dm.post(f"/api/v1/alerts/{alert.pk}/acknowledge")

    assert done.status_code == 200 and done.json()["acknowledged_by"] == "hrt.decision_maker"
    alert.refresh_from_db()
    assert alert.acknowledged_by == world["decision_maker"]
    assert dm.get("/api/v1/alerts").json() == []
    assert _problem(dm.post(f"/api/v1/alerts/{alert.pk}/acknowledge"), 404)
    assert AccessLog.objects.filter(object_id=case.reference,
                                    justification__contains="alert acknowledged").count() == 1


def test_incidents_are_listed_and_retried_by_decision_makers_only(world):
    case = world["case"]
    incident = Incident.objects.create(case=case, force=case.force, kind="timer", attempts=3,
                                       message="The timer could not fire",
                                       opened_at=case.opened_at)
    Case.objects.filter(pk=case.pk).update(status="error")
    dm = _api(world["decision_maker"])

    listed = dm.get("/api/v1/incidents").json()

    assert [(i["id"], i["case"], i["attempts"]) for i in listed] == [
        (incident.pk, case.reference, 3)]
    officer = world["case_officer"]
    page = signed_in(officer).post(f"/incidents/{incident.pk}/retry/")
    refused = _problem(_api(officer).post(f"/api/v1/incidents/{incident.pk}/retry"), 403)
    assert page.status_code == 403 and _page_says(page, refused["detail"])
    assert refused["detail"] == "Only a decision maker may retry a failed case."
    assert _problem(_api(officer).get("/api/v1/incidents"), 403)
    assert _problem(_api(world["outsider"]).post(f"/api/v1/incidents/{incident.pk}/retry"),
                    404)

    retried = dm.post(f"/api/v1/incidents/{incident.pk}/retry")

    assert retried.status_code == 200 and retried.json()["status"] == "open"
    incident.refresh_from_db()
    assert incident.resolved_by == world["decision_maker"]
    assert dm.get("/api/v1/incidents").json() == []


def test_break_glass_opens_a_case_through_the_api_and_an_auditor_reviews_it(world):
    case = world["case"]
    stranger = _api(world["disclosure_officer"])  # no relationship with a new enquiry
    refused = _problem(stranger.get(f"/api/v1/cases/{case.reference}"), 403)
    assert "break-glass" in refused["detail"]
    url = f"/api/v1/cases/{case.reference}/break-glass"

    blank = _problem(stranger.post(url, {"reason_code": "cover", "reason": ""},
                                   format="json"), 400)
    bad_code = _problem(stranger.post(url, {"reason_code": "curious", "reason": "Just looking "
                                            "at it for a while"}, format="json"), 400)
    assert blank["field_errors"]["reason"] and bad_code["field_errors"]["reason_code"]
    assert _problem(_api(world["outsider"]).post(url, {"reason_code": "cover", "reason": "x"},
                                                 format="json"), 404)

    opened = stranger.post(url, {"reason_code": "cover",
                                 "reason": "Covering for an officer on leave today"},
                           format="json")

    assert opened.status_code == 201 and opened.json()["reason_label"] == (
        "Covering for an absent colleague")
    assert stranger.get(f"/api/v1/cases/{case.reference}").status_code == 200
    assert AccessLog.objects.filter(object_id=case.reference,
                                    justification__startswith="break-glass").count() == 1
    auditor = _api(world["auditor"])
    (waiting,) = auditor.get("/api/v1/break-glass").json()
    assert waiting["case"] == case.reference and waiting["user"] == "hrt.disclosure_officer"
    assert _problem(stranger.get("/api/v1/break-glass"), 403)["detail"] == (
        "The access log is for auditors.")
    review = f"/api/v1/break-glass/{waiting['id']}/review"
    assert _problem(auditor.post(review, {"outcome": "maybe", "note": "Hmm"}, format="json"),
                    400)["field_errors"]["outcome"]
    done = auditor.post(review, {"outcome": "justified", "note": "Cover was arranged by the "
                                 "sergeant"}, format="json")
    assert done.status_code == 200 and done.json()["review_outcome"] == "justified"
    assert BreakGlass.objects.get().reviewed_by == world["auditor"]
    assert _problem(auditor.post(review, {"outcome": "justified",
                                          "note": "Reviewed a second time by mistake"},
                                 format="json"), 409)
    assert auditor.get("/api/v1/break-glass").json() == []


def test_an_auditor_may_not_review_their_own_break_glass(world):
    case = world["case"]
    auditor = _api(world["auditor"])
    glass = auditor.post(f"/api/v1/cases/{case.reference}/break-glass",
                         {"reason_code": "complaint", "reason": "A complaint about this case "
                          "came in"}, format="json").json()
    own = _problem(auditor.post(f"/api/v1/break-glass/{glass['id']}/review",
                                {"outcome": "justified", "note": "Fine by me, honestly"},
                                format="json"), 403)
    assert own["detail"].startswith("This break-glass access is your own")


def test_the_access_log_for_auditors_with_the_pages_filters(world):
    case = world["case"]
    _api(world["case_officer"]).get(f"/api/v1/cases/{case.reference}")
    auditor = _api(world["auditor"])

    everything = auditor.get("/api/v1/access-log").json()["results"]
    on_case = auditor.get("/api/v1/access-log", {"case": case.reference}).json()["results"]
    by_officer = auditor.get("/api/v1/access-log", {"user": "hrt.case_officer"}).json()
    today = timezone.localdate()
    future = auditor.get("/api/v1/access-log", {"from": str(today + timedelta(days=1))}
                         ).json()["results"]
    until_yesterday = auditor.get("/api/v1/access-log", {"to": str(today - timedelta(days=1))}
                                  ).json()["results"]
    from_today = auditor.get("/api/v1/access-log", {"from": str(today), "to": str(today)}
                             ).json()["results"]

    assert everything and all(row["object_id"] == case.reference for row in on_case)
    assert {r["actor_username"] for r in by_officer["results"]} == {"hrt.case_officer"}
    assert ("consult", "case (API)") in {(r["operation"], r["object_type"])
                                         for r in by_officer["results"]}
    assert future == until_yesterday == [] and (
        {row["id"] for row in everything} <= {row["id"] for row in from_today})
    page = signed_in(world["auditor"]).get("/audit/", {"case": case.reference})
    assert all(_page_says(page, row["justification"]) for row in on_case[:5])
    assert AccessLog.objects.filter(actor_username="hrt.auditor", object_type="access log",
                                    justification="audit of the access log (API)").count() == 6
    bad = _problem(auditor.get("/api/v1/access-log", {"from": "2026-02-30"}), 400)
    assert "YYYY-MM-DD" in bad["field_errors"]["from"][0]
    refused = _problem(_api(world["decision_maker"]).get("/api/v1/access-log"), 403)
    assert refused["detail"] == "The access log is for auditors."
    others = _api(world["outsider"]).get("/api/v1/access-log").json()["results"]
    assert all(row["object_id"] != case.reference for row in others)


def _complete_initial_checks(world) -> HumanTask:
    task = HumanTask.objects.get(case=world["case"], bpmn_id="ut_initial_checks")
    services.task_claim(user=world["case_officer"], task_id=task.pk)
    services.task_complete(user=world["case_officer"], task_id=task.pk,
                           data=factories.sample("initial_checks"))
    return task


def test_recorded_answers_come_with_the_forms_words_as_the_case_page_shows_them(world):
    case = world["case"]
    _complete_initial_checks(world)
    officer = _api(world["case_officer"])

    forms = officer.get(f"/api/v1/cases/{case.reference}/answers").json()

    intake, checks = forms
    assert intake["bpmn_id"] and checks["bpmn_id"] == "ut_initial_checks"
    assert intake["data"]["channel"] == "phone"
    channel = next(a for a in intake["answers"] if a["question"] == "How the enquiry came in")
    assert channel["answer"] == "Phone (101)"
    assert intake["data"]["subject"]["last_name"] == "Devlin"
    page = signed_in(world["case_officer"]).get(f"/cases/{case.reference}/")
    assert _page_says(page, "How the enquiry came in") and _page_says(page, "Phone (101)")
    assert checks["actor"] == "hrt.case_officer" and checks["rows"]
    assert AccessLog.objects.filter(object_type="case answers (API)", object_id=case.reference,
                                    actor_username="hrt.case_officer").count() == 1


def test_recorded_answers_leave_out_hidden_parties_and_follow_need_to_know(world):
    case = world["case"]
    contact = _api(world["contact_handler"])  # recorded it: may read it, but not the subject

    (intake,) = contact.get(f"/api/v1/cases/{case.reference}/answers").json()

    assert "subject" not in intake["data"] and "Devlin" not in str(intake)
    assert "applicant" in intake["data"]
    refused = _problem(_api(world["disclosure_officer"]).get(
        f"/api/v1/cases/{case.reference}/answers"), 403)
    page = signed_in(world["disclosure_officer"]).get(f"/cases/{case.reference}/answers.csv")
    assert page.status_code == 403 and "break-glass" in refused["detail"]
    assert _problem(_api(world["outsider"]).get(f"/api/v1/cases/{case.reference}/answers"),
                    404)


def test_the_schema_documents_the_new_endpoints(world):
    schema = _api(world["case_officer"]).get("/api/schema/", {"format": "json"}).json()
    new = {
        "/api/v1/cases/{reference}/clocks/{clock}/pause": "post",
        "/api/v1/cases/{reference}/clocks/{clock}/resume": "post",
        "/api/v1/cases/{reference}/clocks/{clock}/extensions": "post",
        "/api/v1/extensions": "get", "/api/v1/extensions/{request_id}/decision": "post",
        "/api/v1/alerts": "get", "/api/v1/alerts/{alert_id}/acknowledge": "post",
        "/api/v1/incidents": "get", "/api/v1/incidents/{incident_id}/retry": "post",
        "/api/v1/cases/{reference}/break-glass": "post", "/api/v1/break-glass": "get",
        "/api/v1/break-glass/{glass_id}/review": "post", "/api/v1/access-log": "get",
        "/api/v1/cases/{reference}/answers": "get",
        "/api/v1/cases/{reference}/extensions": "get",
    }
    for path, method in new.items():
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["description"], path
        assert {"400", "403", "404"} <= set(operation["responses"]), path
