"""A refused action shows its form again: the message beside the field and in the summary, the
typed values kept, the refusal's status, the case unchanged, and a way back to where it came
from. No "That was not done" dead end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import BreakGlass
from webapp.cases import services
from webapp.cases.access import break_glass
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import ClockAlert, ClockEvent, ExtensionRequest
from webapp.processes import services as studio
from webapp.processes.models import ProcessVersion

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world():
    v1 = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=v1)
    people = {role: factories.officer(role, hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker", "auditor", "policy_lead")}
    people["outsider"] = factories.officer("outsider", hrt, "case_officer",
                                           team_obj=factories.team(hrt, "Another team"))
    with time_machine.travel(T0, tick=False):
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
    return {"case": case, "v1": v1, **people}



def _text(response) -> str:
    """The page's visible text, roughly: tags out, whitespace collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def _inline(response, field: str) -> str:
    """The error message shown beside ``field`` on an action page."""
    found = re.search(rf'id="action-{field}-error"><span[^>]*>Error:</span> ([^<]*)</p>',
                      response.content.decode())
    assert found, f"no error beside {field}"
    return found.group(1).strip()


def _summary(response) -> str:
    found = re.search(r'class="govuk-error-summary.*?</div>\s*</div>', response.content.decode(),
                      flags=re.S)
    assert found, "no error summary"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_a_pause_without_a_reason_shows_the_pause_form_again_with_the_error(world):
    case = world["case"]
    url = f"/cases/{case.reference}/clocks/initial/pause/"
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = signed_in(world["case_officer"]).post(url, {"reason": "   "})
    assert response.status_code == 400
    assert _inline(response, "reason") == "Give a reason."
    assert "Give a reason." in _summary(response)
    assert 'href="#action-reason"' in response.content.decode()  # the summary links the field
    text = _text(response)
    assert "Pause the initial checks clock" in text and case.reference in text
    assert "Back to the case" in text and "That was not done" not in text
    assert not ClockEvent.objects.filter(case=case, kind="paused").exists()


def test_an_extension_refused_keeps_the_typed_duration_and_reason(world):
    case = world["case"]
    url = f"/cases/{case.reference}/clocks/overall/extension/"
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = signed_in(world["case_officer"]).post(
            url, {"amount": "seven", "unit": "days",
                  "reason": "Interpreter needed for the applicant"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="seven"' in html
    assert ">Interpreter needed for the applicant</textarea>" in html
    assert "whole number, like 7" in _inline(response, "amount")
    assert not ExtensionRequest.objects.filter(case=case).exists()


def test_deciding_ones_own_extension_is_forbidden_and_says_why_on_the_decision_form(world):
    case = world["case"]
    dm = signed_in(world["decision_maker"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        dm.post(f"/cases/{case.reference}/clocks/overall/extension/",
                {"duration": "P7D", "reason": "Interpreter needed"})
        request = ExtensionRequest.objects.get(case=case)
        response = dm.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"})
    assert response.status_code == 403
    assert "another decision maker must approve it" in _summary(response)
    html = response.content.decode()
    assert 'value="yes" checked' in html  # the choice made is kept
    assert "Interpreter needed" in _text(response) and "Back to the case" in _text(response)
    request.refresh_from_db()
    assert request.approved is None


def test_acknowledging_an_alert_twice_says_so_with_a_way_back_to_the_queue(world):
    with time_machine.travel(T0 + timedelta(hours=19), tick=False):
        timers_sweep()
    alert = ClockAlert.objects.get(case=world["case"], clock="initial")
    dm = signed_in(world["decision_maker"])
    assert dm.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    again = dm.post(f"/alerts/{alert.pk}/acknowledge/")
    assert again.status_code == 404
    assert "No such open alert in your force." in _summary(again)
    assert "Back to the team queue" in _text(again)


def test_a_withdrawal_refused_for_a_closed_case_stays_on_the_confirmation_page(world):
    case = world["case"]
    client = signed_in(world["case_officer"])
    assert client.post(f"/cases/{case.reference}/withdraw/",
                       {"reason": "Moved away"}).status_code == 302
    again = client.post(f"/cases/{case.reference}/withdraw/", {"reason": "Asked twice"})
    assert again.status_code in (403, 409)  # closed: no longer the officer's, nor open
    assert ">Asked twice</textarea>" in again.content.decode()
    assert "nothing to withdraw" in _text(again)


def test_break_glass_without_a_reason_shows_the_message_beside_the_question(world):
    case = world["case"]
    outsider = signed_in(world["outsider"])
    response = outsider.post(f"/cases/{case.reference}/break-glass/",
                             {"reason_code": "", "reason": "Checking a linked case"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="reason-code-error"' in html and "Choose a reason." in html
    assert ">Checking a linked case</textarea>" in html
    assert not BreakGlass.objects.exists()


def test_a_break_glass_review_without_an_outcome_keeps_the_note(world):
    case = world["case"]
    glass = break_glass(user=world["outsider"], case=case, reason_code="cover",
                        reason="Checking a linked case for the duty inspector")
    response = signed_in(world["auditor"]).post(f"/audit/break-glass/{glass.pk}/review/",
                                              {"note": "Looked at the duty log"})
    assert response.status_code == 400
    assert ">Looked at the duty log</textarea>" in response.content.decode()
    assert _inline(response, "outcome")
    assert "Back to the access log" in _text(response)
    glass.refresh_from_db()
    assert glass.reviewed_at is None


def test_a_legal_hold_without_a_reason_is_refused_beside_the_reason(world):
    case = world["case"]
    response = signed_in(world["auditor"]).post(f"/audit/cases/{case.reference}/hold/",
                                              {"reason": ""})
    assert response.status_code == 400
    assert _inline(response, "reason") == "Give the reason for the hold."
    case.refresh_from_db()
    assert case.legal_hold is False


def test_publishing_a_draft_with_problems_keeps_the_change_note(world):
    lead = world["policy_lead"]
    draft = studio.draft_create(user=lead, version_id=world["v1"].pk)
    text = draft.files["csods.bpmn"]
    studio.draft_save(user=lead, draft_id=draft.pk, files={"csods.bpmn": text.replace(
        "<bpmn:flowNodeRef>ut_decision</bpmn:flowNodeRef>", "", 1)})
    response = signed_in(lead).post(f"/studio/drafts/{draft.pk}/publish/",
                                  {"note": "Adds a quality review."})
    assert response.status_code == 409
    assert ">Adds a quality review.</textarea>" in response.content.decode()
    assert "fix them before publishing" in _summary(response)
    assert "Back to the draft" in _text(response)
    assert ProcessVersion.objects.count() == 1


def test_a_deployment_request_without_a_reason_is_refused_beside_it(world):
    response = signed_in(world["policy_lead"]).post(
        f"/studio/versions/{world['v1'].pk}/deploy/", {"note": ""})
    assert response.status_code in (400, 409)
    assert "There is a problem" in _text(response)
    assert "Back to the version" in _text(response)


def test_claiming_a_task_someone_else_holds_is_a_409_with_a_way_back_to_the_task(world):
    task = world["case"].tasks.get(state="ready")
    services.task_claim(user=world["case_officer"], task_id=task.pk)
    other = factories.officer("second_officer", world["case"].force, "case_officer")
    response = signed_in(other).post(f"/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert "Back to the task" in _text(response) and task.name in _text(response)


def test_an_action_page_answers_get_with_its_form_and_what_it_will_do(world):
    case = world["case"]
    page = signed_in(world["case_officer"]).get(f"/cases/{case.reference}/clocks/initial/pause/")
    assert page.status_code == 200
    text = _text(page)
    assert "Pause the initial checks clock" in text and "Reason for pausing the clock" in text
    assert "There is a problem" not in text
