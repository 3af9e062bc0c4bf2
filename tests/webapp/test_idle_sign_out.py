"""Nothing typed is lost to the idle sign-out: pages carry the warning, "Stay signed in" keeps
the session, drafts of new enquiries are kept (and go when the case is recorded or they
expire), signing in again returns to the page the person was on, and a form refused as a
whole (someone else holds the task, a scheme not run) keeps what was typed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests import factories
from webapp.audit.erasure import BEFORE_A_CASE
from webapp.cases.drafts import DRAFT_DAYS, drafts_purge
from webapp.cases.models import Case, EnquiryDraft

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CONCERN = "Seen near the school gate by Mrs Quillfeather"
ENQUIRY = {"scheme": "mini", "concern": CONCERN, "children.0.name": "Ann",
           "children.0.age": "4"}


@pytest.fixture
def world():
    hrt = factories.force()
    return {"officer": factories.officer("officer", hrt, "case_officer"),
            "other": factories.officer("other", hrt, "case_officer")}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # stamps the session's clocks, as signing in does
    return client


# --- the warning and "Stay signed in" -------------------------------------------------------


def test_a_signed_in_page_carries_the_warning_dialog_and_its_script(world):
    with time_machine.travel(T0, tick=False):
        page = _signed_in(world["officer"]).get("/my-tasks/").content.decode()
    assert 'id="session-timeout"' in page and "js/session-timeout.js" in page
    assert f'data-seconds-left="{settings.SESSION_IDLE_SECONDS}"' in page
    assert "Stay signed in" in page and "5 minutes" in page
    assert 'id="session-timeout"' not in Client().get("/login/").content.decode()


def test_stay_signed_in_starts_the_idle_clock_again(world):
    client = _signed_in_at(world["officer"], T0)
    with time_machine.travel(T0 + timedelta(minutes=26), tick=False):
        kept = client.post("/session/keep-alive/")
    assert kept.status_code == 200
    assert kept.json()["seconds_left"] == settings.SESSION_IDLE_SECONDS
    with time_machine.travel(T0 + timedelta(minutes=50), tick=False):
        assert client.get("/my-tasks/").status_code == 200  # 24 idle minutes since the keep-alive


def test_without_stay_signed_in_the_idle_session_ends(world):
    client = _signed_in_at(world["officer"], T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        assert client.get("/my-tasks/").status_code == 302
        late = client.post("/session/keep-alive/")
    assert late.status_code in (302, 401)  # signed out: the page's script reloads the page


def test_the_keep_alive_of_someone_not_signed_in_is_401():
    response = Client().post("/session/keep-alive/")
    assert response.status_code == 401 and response.json()["code"] == "signed_out"


def _signed_in_at(user, when: datetime) -> Client:
    with time_machine.travel(when, tick=False):
        return _signed_in(user)


# --- returning to the page after signing in again -------------------------------------------


def test_signing_in_again_returns_to_the_page_the_person_was_on(world):
    client = _signed_in_at(world["officer"], T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        bounced = client.get("/cases/?q=smith")
        assert bounced.status_code == 302
        assert bounced.url == "/login/?next=/cases/%3Fq%3Dsmith"
        signed_in = client.post("/login/", {"username": "officer", "password": factories.PASSWORD,
                                            "next": "/cases/?q=smith"})
    assert signed_in.status_code == 302 and signed_in.url == "/cases/?q=smith"


def test_a_form_posted_after_the_sign_out_returns_to_the_page_it_came_from(world):
    client = _signed_in_at(world["officer"], T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        posted = client.post("/enquiries/new/", ENQUIRY,
                             HTTP_REFERER="http://testserver/enquiries/new/?scheme=mini")
    assert posted.status_code == 302
    assert posted.url == "/login/?next=/enquiries/new/%3Fscheme%3Dmini"


def test_a_next_that_leaves_the_site_is_not_followed(world):
    client = Client()
    signed_in = client.post("/login/", {"username": "officer", "password": factories.PASSWORD,
                                        "next": "https://evil.example/cases/"})
    assert signed_in.status_code == 302 and signed_in.url == "/"
    posted = _signed_in_at(world["other"], T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        answer = posted.post("/enquiries/new/", ENQUIRY, HTTP_REFERER="https://evil.example/x")
    assert answer.url == "/login/"


# --- drafts of new enquiries ----------------------------------------------------------------


def test_the_autosave_keeps_a_draft_that_the_form_restores(world, caplog):
    client = _signed_in(world["officer"])
    with caplog.at_level(logging.DEBUG):
        saved = client.post("/enquiries/new/draft/", ENQUIRY)
    assert saved.status_code == 200 and saved.json()["message"].startswith("Draft saved at")
    assert CONCERN not in caplog.text  # a draft is personal data: never logged
    page = client.get("/enquiries/new/").content.decode()
    assert "has been restored" in page and CONCERN in page and 'value="Ann"' in page
    # it is personal: another officer starts from an empty form
    other = _signed_in(world["other"]).get("/enquiries/new/").content.decode()
    assert CONCERN not in other and "has been restored" not in other


def test_save_draft_without_javascript_keeps_the_form_and_delete_removes_it(world):
    client = _signed_in(world["officer"])
    saved = client.post("/enquiries/new/", {**ENQUIRY, "action": "draft"})
    assert saved.status_code == 302
    assert EnquiryDraft.objects.get(user=world["officer"]).data["concern"] == CONCERN
    assert CONCERN in client.get(saved.url).content.decode()
    client.post("/enquiries/new/", {**ENQUIRY, "action": "discard"})
    assert not EnquiryDraft.objects.exists()


def test_recording_the_case_deletes_its_draft(world):
    client = _signed_in(world["officer"])
    client.post("/enquiries/new/draft/", ENQUIRY)
    recorded = client.post("/enquiries/new/", {**ENQUIRY, "action": "complete"})
    assert recorded.status_code == 302 and Case.objects.count() == 1
    assert not EnquiryDraft.objects.exists()


def test_drafts_are_purged_after_their_retention_and_registered_as_personal_data(world):
    client = _signed_in_at(world["officer"], T0)
    with time_machine.travel(T0, tick=False):
        client.post("/enquiries/new/draft/", ENQUIRY)
    with time_machine.travel(T0 + timedelta(days=DRAFT_DAYS - 1), tick=False):
        assert drafts_purge() == 0
    with time_machine.travel(T0 + timedelta(days=DRAFT_DAYS, hours=1), tick=False):
        assert drafts_purge() == 1
    assert not EnquiryDraft.objects.exists()
    assert "cases.EnquiryDraft" in BEFORE_A_CASE
    assert "cases.purge_drafts" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


def test_a_draft_goes_with_its_authors_account(world):
    _signed_in(world["officer"]).post("/enquiries/new/draft/", ENQUIRY)
    world["officer"].delete()
    assert not EnquiryDraft.objects.exists()


# --- a refused step on a form keeps what was typed ------------------------------------------


def test_a_task_someone_else_holds_is_refused_with_the_typed_answers_kept(world):
    from webapp.cases import services
    from webapp.cases.models import HumanTask

    hrt = world["officer"].membership.force
    deciders = [factories.officer(name, hrt, "decision_maker") for name in ("dm1", "dm2")]
    services.case_start(user=world["officer"], data={"concern": CONCERN,
                                                     "children": [{"name": "Ann", "age": 4}]})
    task = HumanTask.objects.get(state="ready")
    services.task_claim(user=deciders[0], task_id=task.pk)
    response = _signed_in(deciders[1]).post(f"/tasks/{task.pk}/", {
        "action": "complete", "rationale": "My own careful rationale"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "is assigned to dm1; claim it first." in page and "There is a problem" in page
    assert "My own careful rationale" in page


def test_a_scheme_the_force_does_not_run_is_refused_on_the_choice_of_scheme(world):
    response = _signed_in(world["officer"]).get("/enquiries/new/", {"scheme": "nonesuch"})
    assert response.status_code in (400, 404, 409)
    page = response.content.decode()
    assert "There is a problem" in page and "Which scheme is this for?" in page
