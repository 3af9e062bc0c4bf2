"""Every failure is a clear answer: the right 4xx (or an incident on the case), problem+json on
the API, and no interpreter internals on any page (a reference to the logged detail instead)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from engine import DefinitionInvalid
from tests import factories
from webapp.api.auth import token_create
from webapp.cases.models import Case, CaseEvent, Incident, TaskState
from webapp.processes.registry import version_from_folder

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ENTER = {"concern": "He stays over at weekends", "children": [{"name": "Amy", "age": 7}]}
SCORE = 'score = sum(c["age"] &lt; 16 for c in children) * 10 + len(concern)'
APPROVE = 'outcome_codes = outcome_codes + (["Approved"] if approved else ["Refused"])'
# What must never reach a person: interpreter paths, memory addresses, exception class names.
INTERNALS = re.compile(r"\.py\b|0x[0-9a-f]{6,}|Traceback|Error\b|\bline \d+")


def _api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    _, secret = token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _web(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _mini_with(tmp_path: Path, old: str, new: str, also: tuple[str, str] | None = None):
    """The mini process with one piece of diagram code replaced (a hostile policy lead's)."""
    folder = tmp_path / "mini"
    shutil.copytree(factories.MINI, folder)
    bpmn = folder / "mini.bpmn"
    text = bpmn.read_text()
    for before, after in [(old, new), *([also] if also else [])]:
        assert before in text
        text = text.replace(before, after)
    bpmn.write_text(text)
    return version_from_folder("mini", folder)


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["correlation_id"] == response["X-Request-ID"]
    assert not INTERNALS.search(body["detail"]), body["detail"]
    return body


@pytest.fixture
def csods():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return {role: factories.officer(f"hrt.{role}", hrt, role)
            for role in ("contact_handler", "case_officer", "decision_maker")}


# -- the API's own answers ----------------------------------------------------------------------
def test_json_nested_a_thousand_deep_is_a_400_problem(csods):
    body = '{"data": ' + "[" * 1000 + "]" * 1000 + "}"
    response = _api(csods["contact_handler"]).post("/api/v1/enquiries", body,
                                                   content_type="application/json")
    problem = _assert_problem(response, 400, "invalid")
    assert "nested too deeply" in problem["detail"]
    assert Case.objects.count() == 0


def test_json_nested_deeper_than_any_form_is_refused_before_it_reaches_a_service(csods):
    body = '{"data": {"concern": ' + "[" * 200 + "]" * 200 + "}}"
    response = _api(csods["contact_handler"]).post("/api/v1/enquiries", body,
                                                   content_type="application/json")
    assert "nested too deeply" in _assert_problem(response, 400, "invalid")["detail"]


@pytest.mark.parametrize("body", ['{"data": {"n": ' + "9" * 5000 + "}}",
                                  b'{"data": {"concern": "\xff\xfe"}}'])
def test_a_body_json_cannot_hold_is_a_400_problem_without_interpreter_advice(csods, body):
    response = _api(csods["contact_handler"]).post("/api/v1/enquiries", body,
                                                   content_type="application/json")
    problem = _assert_problem(response, 400, "invalid")
    assert "sys." not in problem["detail"] and "codec" not in problem["detail"]
    assert "not JSON" in problem["detail"]


def _ready_task(user) -> int:
    client = _api(user)
    tasks = client.get("/api/v1/tasks", {"candidateRole": "case_officer"}).json()["results"]
    return tasks[0]["id"]


@pytest.mark.parametrize("if_match", ["9" * 4301, '"' + "1" * 40 + '"', "\u00b2"])
def test_an_if_match_that_is_no_revision_is_a_400_problem(csods, if_match):
    _api(csods["contact_handler"]).post("/api/v1/enquiries",
                                        {"data": factories.sample("enquiry")}, format="json")
    task_id = _ready_task(csods["case_officer"])
    response = _api(csods["case_officer"]).post(
        f"/api/v1/tasks/{task_id}/complete", {"data": factories.sample("initial_checks")},
        format="json", HTTP_IF_MATCH=if_match)
    problem = _assert_problem(response, 400, "invalid")
    assert "If-Match" in problem["detail"]
    assert CaseEvent.objects.filter(kind="completed").count() == 0


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/tasks/abc",
                                  "/api/v1/tasks/abc/claim", "/api/v2/cases", "/api/"])
def test_unknown_api_paths_and_non_numeric_ids_are_404_problems(csods, path):
    response = _api(csods["case_officer"]).get(path)
    problem = _assert_problem(response, 404, "not_found")
    assert "No such API resource" in problem["detail"]


def test_unknown_api_path_is_a_problem_even_when_signed_out():
    response = APIClient().post("/api/v1/enquirie", {}, format="json")
    _assert_problem(response, 404, "not_found")


# -- diagram code that leaves what cannot be stored ---------------------------------------------
# Each stores its value only on data the check's sample does not hold (``concern``), so the
# check passes it and it fails at run time; stored unconditionally, the check refuses it.
@pytest.mark.parametrize("script", [
    "score = 30\nodd = 1j if concern else 0",
    "score = 30\nodd = complex(1, 2) if concern else 0",
    "score = 30\ndeep = []\nfor i in range(50000 if concern else 0):\n    deep = [deep]",
    # stored today, but SpiffWorkflow's recursive merge fails on every later step of the case
    "score = 30\ndeep = []\nfor i in range(300 if concern else 0):\n    deep = [deep]",
])
def test_enquiry_whose_diagram_stores_unstorable_data_is_a_clear_refusal(tmp_path, script):
    hrt = factories.force(process=_mini_with(tmp_path, SCORE, script))
    officer = factories.officer("officer", hrt, "case_officer")
    response = _api(officer).post("/api/v1/enquiries", {"data": ENTER}, format="json",
                                  HTTP_X_REQUEST_ID="req-unstorable-1")
    problem = _assert_problem(response, 422, "process_failed")
    assert "nothing was saved" in problem["detail"]
    assert "req-unstorable-1" in problem["detail"]  # the reference to the logged detail
    assert Case.objects.count() == 0
    page = _web(officer).post("/enquiries/new/", {
        "concern": "He stays over", "children.0.name": "Amy", "children.0.age": "7"})
    assert page.status_code == 422
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "nothing was saved" in html and page["X-Request-ID"] in html
    assert "complex" not in html and "recursion" not in html.lower()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("script", [
    "score = 30\nodd = 1j",
    "score = 30\ndeep = []\nfor i in range(300):\n    deep = [deep]",
])
def test_a_diagram_that_always_stores_unstorable_data_is_refused_when_checked(tmp_path, script):
    with pytest.raises(DefinitionInvalid) as refused:
        _mini_with(tmp_path, SCORE, script)
    assert "st_score" in str(refused.value)
    assert "cannot be kept in case data" in str(refused.value) \
        or "nested more than 64 deep" in str(refused.value)


def test_a_step_whose_diagram_stores_a_complex_number_opens_an_incident_and_changes_nothing(
        tmp_path, caplog):
    version = _mini_with(tmp_path, APPROVE, "odd = 1j\n" + APPROVE)
    hrt = factories.force(process=version)
    officer = factories.officer("officer", hrt, "case_officer")
    dm = factories.officer("dm", hrt, "decision_maker")
    created = _api(officer).post("/api/v1/enquiries", {"data": ENTER}, format="json")
    assert created.status_code == 201, created.content
    case = Case.objects.get()
    before = (case.state, case.revision, case.status, case.events.count())
    task = case.tasks.get(state=TaskState.READY)
    response = _api(dm).post(f"/api/v1/tasks/{task.pk}/complete", {"data": {"approved": True}},
                             format="json", HTTP_X_REQUEST_ID="req-complex-01")
    problem = _assert_problem(response, 422, "process_failed")
    assert "nothing was saved" in problem["detail"] and "req-complex-01" in problem["detail"]
    # nothing half-written: the case, its tasks and its timeline are as they were
    case.refresh_from_db()
    assert (case.state, case.revision, case.status, case.events.count()) == before
    assert case.tasks.get(pk=task.pk).state == TaskState.READY
    # an incident a decision maker sees, with the reference and no internals
    incident = Incident.objects.get(case=case)
    assert incident.kind == "step" and incident.resolved_at is None
    assert "req-complex-01" in incident.message and not INTERNALS.search(incident.message)
    queue = _web(dm).get("/queue/").content.decode()
    assert case.reference in queue and "req-complex-01" in queue
    # the detail is in the log, under the request id
    assert any("req-complex-01" in r.getMessage() and "complex" in r.getMessage()
               for r in caplog.records)
    # a second failure counts against the same incident
    _api(dm).post(f"/api/v1/tasks/{task.pk}/complete", {"data": {"approved": True}},
                  format="json")
    assert Incident.objects.get(case=case).attempts == 2  # noqa: PLR2004


def test_script_error_shows_a_reference_not_the_interpreter_message(tmp_path, caplog):
    hrt = factories.force(process=_mini_with(tmp_path, SCORE, "score = {}['undefined_field'] + 1"))
    officer = factories.officer("officer", hrt, "case_officer")
    response = _api(officer).post("/api/v1/enquiries", {"data": ENTER}, format="json",
                                  HTTP_X_REQUEST_ID="req-script-0001")
    problem = _assert_problem(response, 422, "process_failed")
    assert "undefined_field" not in problem["detail"] and "st_score" in problem["detail"]
    assert "req-script-0001" in problem["detail"]
    assert any("req-script-0001" in r.getMessage() and "undefined_field" in r.getMessage()
               for r in caplog.records)


# -- the enquiry page when the deployed diagram cannot start ------------------------------------
@pytest.mark.parametrize("script", ["score = 1 / 0", "score = {}['undefined_field'] + 1"])
def test_enquiry_page_of_a_diagram_that_fails_before_its_first_task_is_a_clear_page(
        tmp_path, script):
    start = '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="ut_enter" />'
    broken = ('<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="st_first" />'
              '<bpmn:scriptTask id="st_first" name="First"><bpmn:incoming>f_start'
              '</bpmn:incoming><bpmn:outgoing>f_first</bpmn:outgoing>'
              f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
              '<bpmn:sequenceFlow id="f_first" sourceRef="st_first" targetRef="ut_enter" />')
    version = _mini_with(tmp_path, start + "\n", broken + "\n", also=(
        "<bpmn:incoming>f_start</bpmn:incoming>\n      <bpmn:outgoing>f_enter",
        "<bpmn:incoming>f_first</bpmn:incoming>\n      <bpmn:outgoing>f_enter"))
    hrt = factories.force(process=version)
    handler = factories.officer("handler", hrt, "contact_handler", "case_officer")
    # The intake form comes from the declaration: the page shows it without starting anything.
    assert 'name="concern"' in _web(handler).get("/enquiries/new/").content.decode()
    page = _web(handler).post("/enquiries/new/", {
        "action": "complete", "concern": "Worried", "children.0.name": "Amy",
        "children.0.age": "7"})
    assert page.status_code == 422
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "st_first" in html and page["X-Request-ID"] in html
    assert not INTERNALS.search(html.split("<main", 1)[1])
    response = _api(handler).post("/api/v1/enquiries", {"data": ENTER}, format="json")
    _assert_problem(response, 422, "process_failed")
    assert Case.objects.count() == 0


# -- the last resort ----------------------------------------------------------------------------
def test_an_unexpected_api_failure_is_a_500_problem_with_a_reference(csods, monkeypatch):
    from webapp.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("at 0x7f00deadbeef in /srv/app/secret.py")

    monkeypatch.setattr(views.selectors, "cases", broken)
    response = _api(csods["case_officer"]).get("/api/v1/cases")
    problem = _assert_problem(response, 500, "server_error")
    assert response["X-Request-ID"] in problem["detail"]


def test_an_unexpected_page_failure_is_a_branded_500_with_a_reference(csods, monkeypatch):
    from webapp.cases import views

    def broken(*args, **kwargs):
        raise RuntimeError("at 0x7f00deadbeef in /srv/app/secret.py")

    monkeypatch.setattr(views.selectors, "cases", broken)
    page = _web(csods["case_officer"]).get("/cases/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "Disclosure Workflow" in html and page["X-Request-ID"] in html
    assert "secret.py" not in html and "0x7f00deadbeef" not in html


# -- background work ----------------------------------------------------------------------------
LATE_TIMER = """
    <bpmn:boundaryEvent id="timer_late" name="Late" cancelActivity="false"
                        attachedToRef="ut_approve">
      <bpmn:outgoing>f_late</bpmn:outgoing>
      <bpmn:timerEventDefinition id="timer_late_def">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="timer_late" targetRef="st_late" />
    <bpmn:scriptTask id="st_late" name="Chase">
      <bpmn:incoming>f_late</bpmn:incoming>
      <bpmn:outgoing>f_late_end</bpmn:outgoing>
      <bpmn:script>chased = {}['applicant_secret_field'] + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_late_end" sourceRef="st_late" targetRef="end_late" />
    <bpmn:endEvent id="end_late" name="Chased">
      <bpmn:incoming>f_late_end</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>"""


def test_a_timer_incident_shows_a_reference_not_the_interpreter_message(tmp_path, caplog):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from webapp.cases.timers import MAX_FAILURES, timers_sweep

    hrt = factories.force(process=_mini_with(tmp_path, "\n  </bpmn:process>", LATE_TIMER))
    officer = factories.officer("officer", hrt, "case_officer")
    dm = factories.officer("dm", hrt, "decision_maker")
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        created = _api(officer).post("/api/v1/enquiries", {"data": ENTER}, format="json")
        assert created.status_code == 201, created.content
        clock.shift(timedelta(hours=2))
        for _ in range(MAX_FAILURES):
            timers_sweep()
    incident = Incident.objects.get()
    assert "applicant_secret_field" not in incident.message
    assert not INTERNALS.search(incident.message), incident.message
    reference = re.search(r"Reference: (\w+)\.", incident.message).group(1)
    queue = _web(dm).get("/queue/").content.decode()
    assert reference in queue and "applicant_secret_field" not in queue
    assert any(reference in r.getMessage() and "applicant_secret_field" in r.getMessage()
               for r in caplog.records)


def test_a_request_django_refuses_before_any_view_is_a_400_problem_on_the_api():
    response = APIClient(raise_request_exception=False).get(
        "/api/v1/cases", HTTP_HOST="attacker.example")
    _assert_problem(response, 400, "invalid")
    page = Client(raise_request_exception=False).get("/cases/", HTTP_HOST="attacker.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "Disclosure Workflow" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_failed_step_sent_with_an_idempotency_key_still_opens_an_incident(tmp_path):
    # given: a task whose next script leaves what case data cannot hold, and real transactions
    # (the key's transaction commits the work and its stored response together)
    version = _mini_with(tmp_path, APPROVE, "odd = 1j\n" + APPROVE)
    hrt = factories.force(process=version)
    officer = factories.officer("officer", hrt, "case_officer")
    dm = factories.officer("dm", hrt, "decision_maker")
    assert _api(officer).post("/api/v1/enquiries", {"data": ENTER},
                              format="json").status_code == 201
    case = Case.objects.get()
    task = case.tasks.get(state=TaskState.READY)

    # when: the decision maker completes it with an Idempotency-Key
    response = _api(dm).post(f"/api/v1/tasks/{task.pk}/complete", {"data": {"approved": True}},
                             format="json", HTTP_IDEMPOTENCY_KEY="complete-once-1")

    # then: the failure is answered, nothing of the step is kept, and the incident is there
    _assert_problem(response, 422, "process_failed")
    assert case.tasks.get(pk=task.pk).state == TaskState.READY
    incident = Incident.objects.get(case=case)
    assert incident.kind == "step" and incident.resolved_at is None
    # and the key is free: a retry runs for real (and fails again, counted on the incident)
    again = _api(dm).post(f"/api/v1/tasks/{task.pk}/complete", {"data": {"approved": True}},
                          format="json", HTTP_IDEMPOTENCY_KEY="complete-once-1")
    _assert_problem(again, 422, "process_failed")
    assert Incident.objects.get(case=case).attempts == 2  # noqa: PLR2004
