"""A second person where the law expects one: erasing a case, or lifting its legal hold, is
asked by one auditor and approved by another; an auditor cannot approve their own request."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests import factories
from webapp.audit.models import AccessLog, RetentionRequest
from webapp.cases import services
from webapp.cases.models import Case
from webapp.cases.retention import legal_hold_place, retention_ask, retention_decide
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db
LATER = timedelta(days=366 * 7)  # a withdrawn case is reviewed after six years


@pytest.fixture
def world():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    return {"contact": factories.officer("contact", hrt, "contact_handler"),
            "alice": factories.officer("alice", hrt, "auditor"),
            "bob": factories.officer("bob", hrt, "auditor")}


def _closed_case(world) -> Case:
    case = services.case_start(user=world["contact"], data=factories.sample("enquiry"))
    services.case_withdraw(user=world["contact"], reference=case.reference,
                           reason="Applicant withdrew")
    return Case.objects.get(pk=case.pk)


def _auditor(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_auditor_cannot_approve_their_own_erasure_request(world):
    case = _closed_case(world)
    with time_machine.travel(timezone.now() + LATER, tick=False):
        asked = retention_ask(user=world["alice"], reference=case.reference, action="erase",
                              reason="Reviewed: no longer needed for a policing purpose")
        case.refresh_from_db()
        assert case.erased_at is None and case.parties  # asking erases nothing

        with pytest.raises(ServiceError, match="Another auditor") as caught:
            retention_decide(user=world["alice"], request_id=asked.pk, approve=True)
        assert caught.value.http_status == 403
        case.refresh_from_db()
        assert case.erased_at is None and case.parties

        retention_decide(user=world["bob"], request_id=asked.pk, approve=True)
    case.refresh_from_db()
    assert case.erased_at is not None and case.parties == {}
    erasure = AccessLog.objects.get(object_id=case.reference, operation="erase")
    assert erasure.actor_username == "bob" and "asked by alice" in erasure.justification


def test_lifting_a_legal_hold_needs_a_second_auditor(world):
    case = _closed_case(world)
    legal_hold_place(user=world["alice"], reference=case.reference, reason="Civil claim notified")
    asked = retention_ask(user=world["alice"], reference=case.reference, action="lift_hold",
                          reason="The civil claim was settled last month")
    with pytest.raises(ServiceError, match="Another auditor"):
        retention_decide(user=world["alice"], request_id=asked.pk, approve=True)
    case.refresh_from_db()
    assert case.legal_hold

    retention_decide(user=world["bob"], request_id=asked.pk, approve=True)
    case.refresh_from_db()
    assert not case.legal_hold


def test_a_refused_request_changes_nothing_and_can_be_asked_again(world):
    case = _closed_case(world)
    with time_machine.travel(timezone.now() + LATER, tick=False):
        asked = retention_ask(user=world["alice"], reference=case.reference, action="erase",
                              reason="Reviewed: no longer needed for a policing purpose")
        with pytest.raises(ServiceError, match="already has that request"):
            retention_ask(user=world["bob"], reference=case.reference, action="erase",
                          reason="Reviewed: no longer needed either")
        retention_decide(user=world["bob"], request_id=asked.pk, approve=False,
                         note="A linked case is still open")
        case.refresh_from_db()
        assert case.erased_at is None and case.parties
        retention_ask(user=world["bob"], reference=case.reference, action="erase",
                      reason="Reviewed again: the linked case has closed")
    assert RetentionRequest.objects.filter(case=case).count() == 2


def test_the_retention_page_lets_one_auditor_ask_and_another_approve(world):
    case = _closed_case(world)
    with time_machine.travel(timezone.now() + LATER, tick=False):
        alice, bob = _auditor(world["alice"]), _auditor(world["bob"])
        page = alice.get("/audit/retention/")
        assert page.status_code == 200 and "Ask to erase the personal data" in page.text
        asked = alice.post(f"/audit/cases/{case.reference}/retention/ask/",
                           {"action": "erase", "reason": "Reviewed: no longer needed"})
        assert asked.status_code == 302
        request = RetentionRequest.objects.get(case=case)
        own = alice.get("/audit/retention/").text
        assert "another auditor must approve" in own and "Approve: erase" not in own

        refused = alice.post(f"/audit/retention/{request.pk}/decide/", {"decision": "approve"})
        assert refused.status_code == 403 and "Another auditor" in refused.text
        case.refresh_from_db()
        assert case.erased_at is None

        assert "Approve: erase the personal data" in bob.get("/audit/retention/").text
        approved = bob.post(f"/audit/retention/{request.pk}/decide/", {"decision": "approve"})
        assert approved.status_code == 302
    case.refresh_from_db()
    assert case.erased_at is not None and case.parties == {}


def test_only_auditors_see_the_retention_page(world):
    outsider = Client()
    outsider.force_login(world["contact"])
    assert outsider.get("/audit/retention/").status_code == 404
