"""What the log holds: one JSON object a line, each naming the request it was written in (the
reference a person is shown), tracebacks included in the same line; tasks name the request
that enqueued them and their own id; and no person's name or form answers, ever."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from kombu import Connection

from tests import factories
from tests.factories import signed_in
from webapp.audit.context import RequestInfo, current
from webapp.cases.models import Case, HumanTask
from webapp.celery import app as celery_app
from webapp.log_format import JsonFormatter
from webapp.request_log import ProbeAccessFilter, RequestIdFilter
from webapp.task_log import HEADER

pytestmark = pytest.mark.django_db

NAME = ("Zephyrine", "Quillfeather-Abernathy")  # an applicant nobody else is called
MESSAGE = "a line from a task"


@celery_app.task(name="tests.log_a_line")
def log_a_line() -> None:
    logging.getLogger("tests.task").warning(MESSAGE)


class _Lines(logging.Handler):
    """Every line as the console handler writes it (same filter, same formatter)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[list[str]]:
    root, handler = logging.getLogger(), _Lines()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_failing_request_logs_json_lines_with_its_id_and_the_traceback_in_the_same_line(
        lines):
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF="tests.webapp.failing_urls"):
        response = client.get("/test-only/crash/", HTTP_X_REQUEST_ID="trace-me-0123456789")
    assert response.status_code == 500
    logged = [json.loads(line) for line in lines]
    crash = [line for line in logged if "exception" in line]
    assert crash, logged
    assert all(line["request_id"] == "trace-me-0123456789" for line in crash)
    assert "RuntimeError: deliberate failure" in crash[0]["exception"]
    assert {"time", "level", "logger", "message"} <= set(crash[0])


def test_a_task_enqueued_in_a_request_logs_with_that_requests_id_and_its_own(lines):
    # given: a task sent while a request is served (to an in-memory broker)
    token = current.set(RequestInfo(request_id="enqueued-by-0123456789", client_address=""))
    try:
        with Connection("memory://") as broker:
            sent = celery_app.send_task("tests.log_a_line", connection=broker)
            message = broker.SimpleQueue("celery").get(timeout=2)
    finally:
        current.reset(token)
    assert message.headers[HEADER] == "enqueued-by-0123456789"
    # when: a worker runs it, with the headers it was sent with
    log_a_line.apply(task_id=sent.id, headers=dict(message.headers))
    # then
    line = json.loads(next(line for line in lines if MESSAGE in line))
    assert line["request_id"] == "enqueued-by-0123456789"
    assert line["task_id"] == sent.id


def test_a_task_from_beat_logs_with_its_task_id(lines):
    result = log_a_line.apply()
    line = json.loads(next(line for line in lines if MESSAGE in line))
    assert line["task_id"] == result.id and line["request_id"] == "-"


def test_no_applicant_name_or_answer_reaches_the_log(lines):
    # given: a force running the national scheme
    people = factories.csods_officers("contact_handler", "case_officer")
    enquiry = factories.sample("enquiry")
    enquiry["applicant"].update(first_name=NAME[0], last_name=NAME[1])
    enquiry["concern"] = f"{NAME[0]} is worried about her daughter"
    contact = signed_in(people["contact_handler"])
    # when: an enquiry is refused once (a bad postcode), then recorded, and a step is worked
    wrong = {**enquiry["applicant"], "postcode": "NOT 123"}
    bad = factories.as_post({**enquiry, "applicant": wrong})
    assert contact.post("/enquiries/new/?scheme=csods", _body(bad)).status_code == 400
    assert contact.post("/enquiries/new/?scheme=csods",
                        _body(factories.as_post(enquiry))).status_code == 302
    case = Case.objects.get()
    task = HumanTask.objects.get(case=case, bpmn_id="ut_initial_checks")
    officer = signed_in(people["case_officer"])
    assert officer.post(f"/tasks/{task.pk}/claim/").status_code == 302
    checks = factories.sample("initial_checks")
    refused = {**_body(factories.as_post({**checks, "in_scope": False})), "action": ["complete"]}
    assert officer.post(f"/tasks/{task.pk}/", refused).status_code == 400
    done = {**_body(factories.as_post(checks)), "action": ["complete"]}
    assert officer.post(f"/tasks/{task.pk}/", done).status_code == 302
    # then: lines were logged (the refusals), none with the name or the concern
    assert lines, "the refused requests are logged"
    assert all(json.loads(line)["request_id"] != "-" for line in lines), lines
    for line in lines:
        assert NAME[0] not in line and NAME[1] not in line, line
        assert "worried about her daughter" not in line, line


def _body(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    body: dict[str, list[str]] = {}
    for key, value in pairs:
        body.setdefault(key, []).append(value)
    return body


def test_probe_requests_are_kept_out_of_the_gunicorn_access_log():
    """What gunicorn's access logger hands its handlers: the format and a dict of atoms."""
    def access(path: str) -> logging.LogRecord:
        return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 0,
                                 '%(h)s "%(r)s" %(s)s', ({"h": "10.0.0.2", "U": path,
                                                           "r": f"GET {path}", "s": "200"},),
                                 None)

    quiet = ProbeAccessFilter()
    assert not quiet.filter(access("/readyz")) and not quiet.filter(access("/healthz"))
    assert not quiet.filter(access("/metrics"))
    assert quiet.filter(access("/login/")) and quiet.filter(access("/cases/"))
