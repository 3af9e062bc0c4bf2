"""Email notifications through a real SMTP server (aiosmtpd): who gets which email after real
case steps, that each carries a reference and a link and nothing about the people in the case,
and that each person's choices (straight away, daily summary, never) are kept."""

from __future__ import annotations

import email
import json
import socket
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command

from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.clock_services import extension_decide, extension_request
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.timers import timers_sweep
from webapp.notifications import tasks
from webapp.notifications.models import Delivery, Kind, Notice, Preference

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
SITE = "https://disclosure.example.police.uk"


class _Inbox:
    """The aiosmtpd handler: keeps each message as received, with its envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[tuple[list[str], str, Message]]:
        return [(to, raw.decode(), email.message_from_bytes(raw)) for to, raw in self.received]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.SITE_URL = SITE
    yield inbox
    controller.stop()


@pytest.fixture
def people():
    world = factories.csods_officers()
    for role in factories.WORK_ROLES:
        world[role].email = f"{role}@herts.police.example"
        world[role].save(update_fields=["email"])
    return world


def _strings(value) -> set[str]:  # noqa: ANN001
    if isinstance(value, str):
        return {value} if len(value) >= 4 and any(c.isalpha() for c in value) else set()
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _personal(case: Case, *forms: str) -> set[str]:
    """Every name the case holds and every text answer of the forms it was given."""
    found = _strings(json.loads(json.dumps(case.parties)))
    for form in ("enquiry", *forms):
        found |= _strings(factories.sample(form))
    return found


def _assert_nothing_personal(inbox: _Inbox, case: Case, *forms: str) -> None:
    case.refresh_from_db()
    personal = _personal(case, *forms)
    assert "Collins" in personal and "Devlin" in personal  # the check would see a leak
    for _, raw, _ in inbox.messages():
        leaked = [text for text in personal if text in raw]
        assert not leaked, leaked


def _ready(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def _worker() -> int:
    """What the Celery worker does with the notices enqueued after each commit."""
    return tasks.send_unsent()


def test_an_assigned_task_is_emailed_with_its_reference_and_link_and_no_names(people, smtp):
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    task = _ready(case, "ut_initial_checks")
    services.task_assign(user=people["decision_maker"], task_id=task.pk,
                         assignee_id=people["case_officer"].pk)
    assert _worker() == 1

    [(to, raw, message)] = smtp.messages()
    assert to == ["case_officer@herts.police.example"]
    assert message["Subject"] == f"Task assigned: {case.reference}"
    body = message.get_payload(decode=True).decode()
    assert case.reference in body
    assert f"{SITE}/tasks/{task.pk}/" in body
    assert f"{SITE}/account/notifications/" in body
    _assert_nothing_personal(smtp, case)
    assert _worker() == 0  # sent once


def test_claiming_a_task_oneself_sends_nothing(people, smtp):
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    services.task_claim(user=people["case_officer"], task_id=_ready(case, "ut_initial_checks").pk)
    assert _worker() == 0
    assert smtp.messages() == []


def test_clock_warning_and_breach_reach_the_owner_from_the_timer_sweep(people, smtp):
    officer = people["case_officer"]
    Preference.objects.create(user=officer, kind=Kind.CLOCK_WARNING,
                              delivery=Delivery.IMMEDIATELY)
    with time_machine.travel(T0, tick=False) as clock:
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
        services.task_claim(user=officer, task_id=_ready(case, "ut_initial_checks").pk)
        clock.shift(timedelta(hours=23, minutes=59))
        assert timers_sweep() == 1  # the warning
        clock.shift(timedelta(minutes=2))
        assert timers_sweep() == 1  # the breach timer
        assert _worker() == 2

    subjects = [(to, m["Subject"]) for to, _, m in smtp.messages()]
    assert subjects == [(["case_officer@herts.police.example"],
                         f"Time limit soon: {case.reference}"),
                        (["case_officer@herts.police.example"],
                         f"Time limit passed: {case.reference}")]
    for _, _, message in smtp.messages():
        assert f"{SITE}/cases/{case.reference}/" in message.get_payload(decode=True).decode()
    _assert_nothing_personal(smtp, case)


def test_an_extension_request_goes_to_decision_makers_and_its_decision_to_the_asker(people,
                                                                                    smtp):
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    request = extension_request(user=people["case_officer"], reference=case.reference,
                                clock="overall", duration="P14D",
                                reason="Partner agency records for Sarah Collins delayed")
    assert _worker() == 1
    extension_decide(user=people["decision_maker"], request_id=request.pk, approve=True)
    assert _worker() == 1

    [(asked_to, _, asked), (decided_to, raw, decided)] = smtp.messages()
    assert asked_to == ["decision_maker@herts.police.example"]
    assert asked["Subject"] == f"Extension asked for: {case.reference}"
    assert decided_to == ["case_officer@herts.police.example"]
    assert decided["Subject"] == f"Extension decided: {case.reference}"
    assert "approved" in decided.get_payload(decode=True).decode()
    assert "Partner agency" not in raw  # the reason a person typed is never mailed
    _assert_nothing_personal(smtp, case)


def test_a_task_sent_back_to_the_owner_after_someone_elses_step_is_emailed(people, smtp):
    officer = people["case_officer"]
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    services.task_claim(user=officer, task_id=_ready(case, "ut_initial_checks").pk)
    services.task_complete(user=officer, task_id=_ready(case, "ut_initial_checks").pk,
                           data=factories.sample("initial_checks"))
    assert _worker() == 0  # the owner's own step routed the next task to them: no email
    interview = _ready(case, "ut_verification_interview")
    assert interview.assignee == officer
    # a colleague works the owner's task instead; the next tasks come back to the owner
    colleague = factories.officer("colleague", people["force"], "case_officer")
    services.task_assign(user=people["decision_maker"], task_id=interview.pk,
                         assignee_id=colleague.pk, reason_code="workload")
    services.task_complete(user=colleague, task_id=interview.pk,
                           data=factories.sample("verification_interview"))
    _worker()
    returned = [(to, m) for to, _, m in smtp.messages() if m["Subject"].startswith("Task back")]
    # the three parallel checks came back together: one email, to the owner, linking the case
    [(to, message)] = returned
    assert to == ["case_officer@herts.police.example"]
    assert message["Subject"] == f"Task back with you: {case.reference}"
    body = message.get_payload(decode=True).decode()
    assert "3 tasks" in body and f"{SITE}/cases/{case.reference}/" in body
    _assert_nothing_personal(smtp, case, "initial_checks", "verification_interview")


def test_never_means_no_email_and_digest_means_one_summary_with_every_item(people, smtp):
    officer = people["case_officer"]
    client = signed_in(officer)
    page = client.get("/account/notifications/").content.decode()
    assert "Email notifications" in page and "A task is assigned to you" in page
    choices = {kind: Delivery.IMMEDIATELY for kind in Kind.values}
    choices[Kind.TASK_ASSIGNED] = Delivery.DIGEST
    choices[Kind.EXTENSION_DECIDED] = Delivery.NEVER
    assert client.post("/account/notifications/", choices).status_code == 302

    cases = [services.case_start(user=people["contact_handler"],
                                 data=factories.sample("enquiry")) for _ in range(2)]
    for case in cases:
        services.task_assign(user=people["decision_maker"],
                             task_id=_ready(case, "ut_initial_checks").pk,
                             assignee_id=officer.pk)
    request = extension_request(user=officer, reference=cases[0].reference, clock="overall",
                                duration="P7D", reason="Waiting for records")
    extension_decide(user=people["decision_maker"], request_id=request.pk, approve=False)
    _worker()
    officer_mail = [m for to, _, m in smtp.messages() if to == [officer.email]]
    assert officer_mail == []  # assignments wait for the summary; decisions never come

    call_command("send_digests")
    [(to, raw, summary)] = [item for item in smtp.messages() if item[0] == [officer.email]]
    assert summary["Subject"] == "Daily summary: 2 update(s)"
    body = summary.get_payload(decode=True).decode()
    for case in cases:
        assert case.reference in body
        assert f"{SITE}/tasks/{_ready(case, 'ut_initial_checks').pk}/" in body
    assert not Notice.objects.filter(user=officer, sent_at__isnull=True).exists()
    call_command("send_digests")
    assert len([item for item in smtp.messages() if item[0] == [officer.email]]) == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        call_command("send_digests")  # sent notices are kept 30 days, then deleted
    assert not Notice.objects.filter(user=officer).exists()
    for case in cases:
        _assert_nothing_personal(smtp, case)


def test_a_choice_left_out_is_refused_with_a_message(people):
    client = signed_in(people["case_officer"])
    response = client.post("/account/notifications/", {Kind.TASK_ASSIGNED: "sometimes"})
    assert response.status_code == 400
    assert "Choose when to get an email when a task is assigned to you" in (
        response.content.decode())
    assert not Preference.objects.exists()


def test_mail_down_leaves_the_step_done_and_the_notice_owed(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nothing listens
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    task = _ready(case, "ut_initial_checks")
    services.task_assign(user=people["decision_maker"], task_id=task.pk,
                         assignee_id=people["case_officer"].pk)
    assert _ready(case, "ut_initial_checks").assignee == people["case_officer"]
    assert _worker() == 0
    notice = Notice.objects.get()
    assert notice.sent_at is None and notice.attempts == 1


def test_the_send_task_retries_while_mail_is_down_then_the_sweep_sends_it(people, settings,
                                                                           smtp):
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    services.task_assign(user=people["decision_maker"],
                         task_id=_ready(case, "ut_initial_checks").pk,
                         assignee_id=people["case_officer"].pk)
    notice = Notice.objects.get()
    result = tasks.send.apply(args=[notice.pk])  # as a worker runs it (retries run at once)
    assert isinstance(result.result, OSError)
    notice.refresh_from_db()
    assert notice.sent_at is None and notice.attempts == tasks.send.max_retries + 1
    settings.EMAIL_PORT = up  # mail is back: the beat sweep sends what is owed
    assert _worker() == 1
    assert [m["Subject"] for _, _, m in smtp.messages()] == [f"Task assigned: {case.reference}"]


def test_beat_runs_the_daily_summary_and_the_resend_sweep(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notifications.send_digests", "notifications.send_unsent"} <= scheduled
