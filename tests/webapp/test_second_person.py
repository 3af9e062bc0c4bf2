"""A second person where the law expects one, reasons that are words, and no change to a case
that is closed or erased: extensions, break-glass reviews and incident retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import BreakGlass
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, Incident
from webapp.clocks.models import CaseClock, ExtensionRequest

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast setup
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return {name: factories.officer(name, hrt, role) for name, role in (
        ("recorder", "contact_handler"), ("officer", "case_officer"),
        ("dm", "decision_maker"), ("dm2", "decision_maker"), ("auditor", "auditor"),
        ("auditor2", "auditor"), ("discloser", "disclosure_officer"))}


@pytest.fixture
def case(people) -> Case:
    with time_machine.travel(T0, tick=False):
        return services.case_start(user=people["recorder"], data=factories.sample("enquiry"))



def test_an_extension_is_not_approved_by_the_decision_maker_who_asked(people, case):
    asker, other = signed_in(people["dm"]), signed_in(people["dm2"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        due = CaseClock.objects.get(case=case, clock="overall").due_at
        asker.post(f"/cases/{case.reference}/clocks/overall/extension/",
                   {"duration": "P7D", "reason": "Partner agency records delayed"})
        request = ExtensionRequest.objects.get(case=case)
        own = asker.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"})
        assert own.status_code == 403
        assert "another decision maker must approve it" in own.content.decode()
        request.refresh_from_db()
        assert request.approved is None
        assert CaseClock.objects.get(case=case, clock="overall").due_at == due
        assert other.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"}
                          ).status_code == 302
    request.refresh_from_db()
    assert request.approved is True and request.decided_by == people["dm2"]
    assert CaseClock.objects.get(case=case, clock="overall").due_at == due + timedelta(days=7)


def test_an_extension_on_a_closed_case_is_refused(people, case):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.case_withdraw(user=people["recorder"], reference=case.reference,
                               reason="The applicant no longer wishes to proceed")
        page = signed_in(people["dm"]).post(
            f"/cases/{case.reference}/clocks/overall/extension/",
            {"duration": "P7D", "reason": "Partner agency records delayed"})
    assert page.status_code == 409
    assert "Closed" in page.content.decode()
    assert not ExtensionRequest.objects.filter(case=case).exists()


def _glass(user, case: Case) -> BreakGlass:
    signed_in(user).post(f"/cases/{case.reference}/break-glass/",
                       {"reason_code": "complaint", "reason": "Complaint from the applicant's "
                                                              "solicitor about delay"})
    return BreakGlass.objects.get(user=user, case=case)


def test_a_break_glass_access_is_reviewed_by_another_auditor_with_an_outcome(people, case):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        glass = _glass(people["auditor"], case)
        own = signed_in(people["auditor"]).post(
            f"/audit/break-glass/{glass.pk}/review/",
            {"outcome": "justified", "note": "Complaint file needed the case"})
        assert own.status_code == 403
        assert "another auditor must review it" in own.content.decode()
        reviewer = signed_in(people["auditor2"])
        page = reviewer.get("/audit/").content.decode()
        assert 'value="justified"' in page and 'value="not_justified"' in page
        no_outcome = reviewer.post(f"/audit/break-glass/{glass.pk}/review/",
                                   {"note": "Looked at the complaint file"})
        assert no_outcome.status_code == 400
        assert "Say whether the access was justified" in no_outcome.content.decode()
        no_note = reviewer.post(f"/audit/break-glass/{glass.pk}/review/",
                                {"outcome": "not_justified", "note": "zzzzzzzzzzzz"})
        assert no_note.status_code == 400
        glass.refresh_from_db()
        assert glass.reviewed_at is None
        done = reviewer.post(f"/audit/break-glass/{glass.pk}/review/",
                             {"outcome": "not_justified",
                              "note": "The complaint did not need the case file opened"})
    assert done.status_code == 302
    glass.refresh_from_db()
    assert glass.reviewed_by == people["auditor2"] and glass.review_outcome == "not_justified"
    assert glass.review_note == "The complaint did not need the case file opened"


@pytest.mark.parametrize("reason", ["aaaaaaaaaa", "asdf asdf asdf asdf", "1234567890 0987",
                                    "a b c d e f g h i j", "xx yy zz ww qq", "..........",
                                    "because because because"])
def test_a_break_glass_reason_must_be_words(people, case, reason):
    outsider = signed_in(people["discloser"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = outsider.post(f"/cases/{case.reference}/break-glass/",
                             {"reason_code": "other", "reason": reason})
        assert outsider.get(f"/cases/{case.reference}/").status_code == 403
    html = page.content.decode()
    assert page.status_code == 400
    assert "Explain in a few words of your own why you must open this case" in html
    assert f">{reason}</textarea>" in html  # the form again, with what was typed
    assert 'value="other" checked' in html
    assert not BreakGlass.objects.filter(case=case).exists()


def test_a_break_glass_reason_in_words_is_accepted(people, case):
    outsider = signed_in(people["discloser"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = outsider.post(f"/cases/{case.reference}/break-glass/",
                             {"reason_code": "cover", "reason": "Cover for DC Shah: on leave"})
        assert page.status_code == 302
        assert outsider.get(f"/cases/{case.reference}/").status_code == 200


def _withdrawn(people, case: Case) -> Case:
    services.case_withdraw(user=people["recorder"], reference=case.reference,
                           reason="The applicant no longer wishes to proceed")
    case.refresh_from_db()
    assert case.status == "closed"
    return case


@pytest.mark.parametrize("erased", [False, True], ids=["closed", "erased"])
def test_retrying_an_incident_refuses_a_closed_or_erased_case(people, case, erased):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        closed = _withdrawn(people, case)
        incident = Incident.objects.create(case=closed, force=closed.force, attempts=3,
                                           message="timer failed", opened_at=T0)
        if erased:  # what an erasure leaves: no workflow state, no parties
            Case.objects.filter(pk=closed.pk).update(state=b"", parties={},
                                                     erased_at=T0 + timedelta(minutes=30))
        page = signed_in(people["dm"]).post(f"/incidents/{incident.pk}/retry/")
    assert page.status_code == 409
    assert ("erased" if erased else "closed") in page.content.decode()
    after = Case.objects.get(pk=closed.pk)
    assert after.status == "closed" and (after.erased_at is not None) == erased
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert not CaseEvent.objects.filter(case=closed, detail="Retried after an incident").exists()
    # the case page still answers (an erased case reopened with empty state was a 500 on every
    # later action)
    assert signed_in(people["dm"]).get(f"/cases/{closed.reference}/").status_code == 200


def test_an_extension_left_pending_when_its_case_closed_can_be_refused_and_leaves_the_list(
        people, case):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        signed_in(people["dm"]).post(f"/cases/{case.reference}/clocks/overall/extension/",
                                   {"duration": "P7D", "reason": "Partner agency records delayed"})
        request = ExtensionRequest.objects.get(case=case)
        services.case_withdraw(user=people["recorder"], reference=case.reference,
                               reason="The applicant no longer wishes to proceed")
        # the pending request no longer waits in the decision makers' list
        queue = signed_in(people["dm2"]).get("/queue/").content.decode()
        assert f"/extensions/{request.pk}/decide/" not in queue
        # and it can still be refused (not approved: the case's clocks no longer change)
        approve = signed_in(people["dm2"]).post(f"/extensions/{request.pk}/decide/",
                                              {"approve": "yes"})
        assert approve.status_code == 409
        refuse = signed_in(people["dm2"]).post(f"/extensions/{request.pk}/decide/",
                                             {"approve": "no"})
        assert refuse.status_code == 302
    request.refresh_from_db()
    assert request.approved is False and request.decided_by == people["dm2"]
