"""Erasure really erases: every copy of a case's personal data, including API responses stored
for Idempotency-Key, clock and extension reasons and drafts; keys expire and are purged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from webapp.api.auth import token_create
from webapp.api.models import IdempotentRequest
from webapp.audit.erasure import ACROSS_CASES, ERASED, NO_PERSONAL_DATA
from webapp.cases import services
from webapp.cases.clock_services import (
    clock_pause,
    clock_resume,
    extension_decide,
    extension_request,
)
from webapp.cases.models import Case, HumanTask, NameWord, TaskState
from webapp.cases.retention import retention_ask, retention_decide

pytestmark = pytest.mark.django_db

# Personal data no other fixture uses, so that finding it anywhere means a copy survived.
SURNAME = "Marchbanks-Ivery"
BIRTH = "1979-11-23"
STREET = "41 Tennyson Rise"
TRACES = (SURNAME, BIRTH, STREET)


@pytest.fixture
def world():
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    people = {role: factories.officer(role, hrt, role) for role in
              ("contact_handler", "case_officer", "decision_maker", "auditor")}
    people["second_auditor"] = factories.officer("second_auditor", hrt, "auditor")
    people["second_manager"] = factories.officer("second_manager", hrt, "decision_maker")
    return people


def _api(user) -> APIClient:
    client = APIClient()
    _, secret = token_create(user=user, name="records system")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _enquiry() -> dict:
    data = factories.sample("enquiry")
    data["applicant"].update(last_name=SURNAME, date_of_birth=BIRTH,
                             address=f"{STREET}, Barnet")
    data["children"][0].update(last_name=SURNAME, address=f"{STREET}, Barnet")
    return data


def _erase(world, reference: str) -> None:
    """Ask (one auditor) and approve (another) once the case is due for review."""
    with time_machine.travel(timezone.now() + timedelta(days=366 * 7), tick=False):
        asked = retention_ask(user=world["auditor"], reference=reference, action="erase",
                              reason="Reviewed: no longer needed for a policing purpose")
        retention_decide(user=world["second_auditor"], request_id=asked.pk, approve=True)


def _rows_holding(traces: tuple[str, ...]) -> list[str]:
    """Every model field, in every table, whose stored value contains one of ``traces``."""
    found = []
    for model in apps.get_models():
        columns = [f for f in model._meta.concrete_fields
                   if isinstance(f, models.CharField | models.TextField | models.JSONField
                                 | models.BinaryField)]
        for row in model._default_manager.values("pk", *[f.attname for f in columns]):
            for field in columns:
                value = row[field.attname]
                text = (bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview)
                        else json.dumps(value) if field.get_internal_type() == "JSONField"
                        else str(value or ""))
                if any(trace in text for trace in traces):
                    found.append(f"{model._meta.label}.{field.name}")
    return sorted(set(found))


def _models_related_to(root: type[models.Model]) -> set[str]:
    """The models pointing at ``root``, and those pointing at them, and so on."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        relations = [f for f in model._meta.get_fields(include_hidden=True)
                     if f.auto_created and not f.concrete and f.related_model is not None]
        for relation in relations:  # hidden ones too (related_name="+")
            label = relation.related_model._meta.label
            if label not in seen:
                seen.add(label)
                todo.append(relation.related_model)
    return seen


def test_every_model_related_to_a_case_is_registered_for_erasure():
    related = _models_related_to(Case)
    unregistered = related - set(ERASED) - set(NO_PERSONAL_DATA)
    assert unregistered == set(), f"register these for erasure: {sorted(unregistered)}"
    # Stored API responses are linked to the case they answered about, so they are walked too.
    assert "api.IdempotentRequest" in related
    # the force's name words are counted across cases, not related to one: listed apart
    assert "cases.NameWord" in ACROSS_CASES and "cases.NameWord" not in related
    for label, rule in ERASED.items():
        names = {f.name for f in apps.get_model(label)._meta.concrete_fields}
        assert set(rule.fields) <= names, label


def test_erasure_leaves_no_copy_of_the_parties_personal_data_in_any_table(world):
    # given a case recorded through the API with an Idempotency-Key, a draft, clock and
    # extension reasons naming the family, and a withdrawal that names them too
    created = _api(world["contact_handler"]).post(
        "/api/v1/enquiries", {"data": _enquiry()}, format="json", HTTP_IDEMPOTENCY_KEY="erase-1")
    assert created.status_code == 201 and SURNAME in created.content.decode()
    reference = created.json()["reference"]
    task = HumanTask.objects.get(case__reference=reference, state=TaskState.READY)
    services.task_claim(user=world["case_officer"], task_id=task.pk)
    services.task_save_draft(user=world["case_officer"], task_id=task.pk,
                             data={"notes": f"Spoke to Ms {SURNAME} at {STREET}"})
    manager = world["decision_maker"]
    clock_pause(user=manager, reference=reference, clock="initial",
                reason=f"Waiting for Ms {SURNAME} (born {BIRTH}) to call back")
    clock_resume(user=manager, reference=reference, clock="initial")
    extension = extension_request(user=manager, reference=reference, clock="overall",
                                  duration="P5D", reason=f"Ms {SURNAME} moved from {STREET}")
    extension_decide(user=world["second_manager"], request_id=extension.pk, approve=True)
    services.case_withdraw(user=manager, reference=reference,
                           reason=f"Ms {SURNAME} withdrew by phone")
    assert _rows_holding(TRACES)  # the traces are really there before erasure
    name_words = set(SURNAME.lower().split("-"))
    assert NameWord.objects.filter(word__in=name_words).count() == len(name_words)

    # when two auditors erase it
    _erase(world, reference)

    # then no table holds any of it
    assert _rows_holding(TRACES) == []
    assert not NameWord.objects.filter(word__in=name_words).exists()  # the force's vocabulary
    case = Case.objects.get(reference=reference)
    assert case.erased_at is not None and case.parties == {}


def test_replaying_an_idempotency_key_after_erasure_returns_no_personal_data(world):
    client = _api(world["contact_handler"])
    body = {"data": _enquiry()}
    first = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    reference = first.json()["reference"]
    services.case_withdraw(user=world["contact_handler"], reference=reference,
                           reason="Withdrew by phone")
    _erase(world, reference)

    replay = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")

    assert replay.status_code == 410
    assert replay["Content-Type"] == "application/problem+json"
    assert SURNAME not in replay.content.decode() and BIRTH not in replay.content.decode()
    assert Case.objects.count() == 1  # nor was the enquiry recorded again


def test_an_idempotency_key_expires_after_a_day_and_is_not_replayed(world):
    client = _api(world["contact_handler"])
    body = {"data": factories.sample("enquiry")}
    first = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-day")
    within = client.post("/api/v1/enquiries", body, format="json", HTTP_IDEMPOTENCY_KEY="k-day")
    assert within["Idempotent-Replayed"] == "true"
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        later = client.post("/api/v1/enquiries", body, format="json",
                            HTTP_IDEMPOTENCY_KEY="k-day")
    assert later.status_code == 201 and not later.has_header("Idempotent-Replayed")
    assert later.json()["reference"] != first.json()["reference"]


def test_a_periodic_job_purges_idempotency_keys_older_than_a_day(world):
    from webapp.celery import app

    client = _api(world["contact_handler"])
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        client.post("/api/v1/enquiries", {"data": factories.sample("enquiry")}, format="json",
                    HTTP_IDEMPOTENCY_KEY="old")
    client.post("/api/v1/enquiries", {"data": factories.sample("enquiry")}, format="json",
                HTTP_IDEMPOTENCY_KEY="fresh")
    jobs = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "api.purge_idempotency" in jobs

    app.loader.import_default_modules()  # what a worker does at start: discover the tasks
    purged = app.tasks["api.purge_idempotency"].apply().get()

    assert purged == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]
