"""Need-to-know holds on every write: a same-force user with no working relationship to a case
(and no break-glass) can change nothing on it, through any page or API route.

The routes are enumerated from the URL resolver, not listed here: a new write route that
forgets the check fails this test. Routes that are not writes to an existing case are in
NOT_CASE_WRITES, each with the reason.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import BreakGlass
from webapp.cases import services
from webapp.cases.clock_services import clock_pause, extension_request
from webapp.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    HumanTask,
    Incident,
    TaskState,
)
from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent, ExtensionRequest

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
IMMEDIATE = {"immediate_risk": True, "immediate_risk_details": "Subject seen at the school gate"}
WRITE_METHODS = ("post", "put", "patch", "delete")

# Routes that do not change an existing case, by name (or "namespace:*"), and why.
NOT_CASE_WRITES = {
    "login": "signs in; no case",
    "logout": "ends the user's own session; no case",
    "cases:start": "records a new enquiry; no existing case to know about",
    "cases:start_draft": "keeps the user's own draft of a new enquiry; no existing case",
    "session_keep_alive": "keeps the user's own session signed in; no case",
    "api:enquiries": "records a new enquiry; no existing case to know about",
    "cases:break_glass": "the way to gain need-to-know: reasoned, logged and reviewed",
    "studio:*": "process authoring and deployment by policy leads; no case's data",
    "reports:*": "aggregate figures, read only",
    "cases:home": "sends the user to their role's start page, read only",
    "cases:mine": "the user's own task list; its posts keep or delete the user's saved views "
                  "(filters and a sort: no case)",
    "cases:queue": "the team queue; its posts keep saved views, or claim and assign the ticked "
                   "tasks through task_claim and task_assign, each its own case step with the "
                   "need-to-know check the swept claim and assign routes prove",
    "cases:workload": "counts of each officer's tasks for supervisors, read only",
    "cases:cases": "case search, read only and scoped by need-to-know",
    "administration:*": "a force's teams, people, time limits and scheme settings, by force "
                        "administrators only (tests/webapp/test_force_admin.py); no case's data",
    "second_factor_verify": "the user's own second factor at sign-in; no case",
    "second_factor_enrol": "sets up the user's own authenticator app; no case",
    "recovery_codes": "makes the user's own recovery codes; no case",
    "account": "the user's own account page (issues their own API tokens); no case",
    "account_token_revoke": "revokes one of the user's own API tokens; no case",
    "notification_preferences": "the user's own email choices; no case",
    "oidc:*": "single sign-on; no case",
    "api:break_glass": "the way to gain need-to-know through the API, as cases:break_glass",
}
# An auditor's retention and review powers cover the whole force by design.
AUDITOR_ROUTES = {"audit:*": "information manager's force-wide retention and review duties",
                  "api:break_glass_review": "the same review duty through the API"}


def _exempt(name: str, allowlist: dict[str, str]) -> bool:
    return name in allowlist or f"{name.partition(':')[0]}:*" in allowlist


def _routes(patterns=None, namespace: str = "", params: tuple[str, ...] = ()):
    """(qualified name, parameter names) of every route the resolver knows."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        found = params + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _routes(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"name the route {entry.pattern} so that it can be swept"
            yield ":".join(filter(None, [namespace, entry.name])), found



def _through_immediate_risk(people) -> Case:
    """A case whose only open work is the decision maker's: no case officer's queue holds it."""
    case = services.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
    for bpmn_id, data in (("ut_initial_checks", {**factories.sample("initial_checks"),
                                                 **IMMEDIATE}),
                          ("ut_immediate_action", factories.sample("immediate_action"))):
        task = HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)
        services.task_claim(user=people["worker"], task_id=task.pk)
        services.task_complete(user=people["worker"], task_id=task.pk, data=data)
    ready = set(HumanTask.objects.filter(case=case, state=TaskState.READY)
                .values_list("role", flat=True))
    assert ready == {"decision_maker"}
    return case


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast setup
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    people = {"contact_handler": factories.officer("recorder", hrt, "contact_handler"),
              "worker": factories.officer("worker", hrt, "case_officer"),
              "dm": factories.officer("dm", hrt, "decision_maker"),
              "glass_user": factories.officer("glass_user", hrt, "disclosure_officer")}
    other = factories.team(hrt, "Other unit")
    outsiders = {role: factories.officer(f"outsider_{role}", hrt, role, team_obj=other)
                 for role in ("case_officer", "contact_handler", "disclosure_officer",
                              "policy_lead", "auditor")}
    with time_machine.travel(T0, tick=False):
        running, paused = _through_immediate_risk(people), _through_immediate_risk(people)
        clock_pause(user=people["dm"], reference=paused.reference, clock="overall",
                    reason="Awaiting the applicant's documents")
        pending = extension_request(user=people["dm"], reference=running.reference,
                                    clock="overall", duration="P7D",
                                    reason="Partner agency records delayed")
        alert = ClockAlert.objects.create(case=running, force=hrt, clock="overall",
                                          kind="warning", at=T0)
        incident = Incident.objects.create(case=running, force=hrt, attempts=3,
                                           message="timer failed", opened_at=T0)
        glass = BreakGlass.objects.create(user=people["glass_user"], case=running,
                                          reason_code="cover", reason="Covering for a colleague",
                                          at=T0, expires_at=T0 + timedelta(hours=8))
    cases = [running, paused]
    values = {
        "reference": [c.reference for c in cases],
        "clock": ["overall"],
        # the open task of each case, and a completed one
        "task_id": [*HumanTask.objects.filter(case__in=cases, state=TaskState.READY)
                    .values_list("pk", flat=True), running.tasks.exclude(
                        state=TaskState.READY).values_list("pk", flat=True).first()],
        "request_id": [pending.pk],
        "alert_id": [alert.pk],
        "incident_id": [incident.pk],
        "glass_id": [glass.pk],
        "attachment_id": [1],  # downloads only: a GET, never swept
        "key": ["case_summary"],  # a letter: downloads (GET) and the studio's own pages
    }
    return {"people": people, "outsiders": outsiders, "cases": cases, "values": values}


def _fingerprint(cases: list[Case]) -> str:
    """Everything a write could change on the cases, as one digest."""
    rows = {"case": Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk").values()}
    for model in (HumanTask, CaseEvent, CaseClock, ClockEvent, ExtensionRequest, ClockAlert,
                  Incident, BreakGlass, CaseNote, Attachment):
        rows[model.__name__] = model.objects.filter(case__in=cases).order_by("pk").values()
    text = repr(sorted((k, [sorted(row.items()) for row in v]) for k, v in rows.items()))
    return hashlib.sha256(text.encode()).hexdigest()


BODY = {"reason": "The applicant phoned to withdraw the application today",
        "duration": "P7D", "amount": 7, "unit": "days", "approve": "yes",
        "note": "Checked with the officer's supervisor",
        "outcome": "justified", "hold": "yes", "decision": "Reviewed and no longer needed",
        "reason_code": "cover"}


def _send(client: Client, method: str, url: str, people) -> int:
    if url.startswith("/api/"):
        body = {**BODY, "assignee": people["worker"].username,
                "data": factories.sample("immediate_risk_review")}
        response = getattr(client, method)(url, json.dumps(body),
                                           content_type="application/json")
    elif method == "post":
        response = client.post(url, {**BODY, "assignee": people["worker"].pk})
    else:
        response = getattr(client, method)(url)
    return response.status_code


def _sweep(world, user, allowlist: dict[str, str]) -> tuple[list[str], set[str]]:
    """Every write-capable route, every method, every candidate value: what got through."""
    client, cases, through, swept = signed_in(user), world["cases"], [], set()
    baseline = _fingerprint(cases)
    for name, params in _routes():
        if _exempt(name, allowlist):
            continue
        missing = [p for p in params if p not in world["values"]]
        assert not missing, f"{name}: give the sweep a value for {missing}"
        for combo in itertools.product(*(world["values"][p] for p in params)):
            url = reverse(name, kwargs=dict(zip(params, combo, strict=True)))
            for method in WRITE_METHODS:
                status = _send(client, method, url, world["people"])
                if status == 405:  # noqa: PLR2004 - the route does not take this method
                    continue
                swept.add(name)
                if status not in (403, 404):
                    through.append(f"{user.username} {method.upper()} {url} -> {status}")
        if name in swept:  # one look per route: the digest costs more than the requests
            after = _fingerprint(cases)
            if after != baseline:
                through.append(f"{user.username} {name} changed the case")
            baseline = after
    return through, swept


def test_every_write_route_refuses_a_same_force_user_without_a_relationship(world):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        through, swept = [], set()
        for role, user in world["outsiders"].items():
            allowlist = {**NOT_CASE_WRITES, **(AUDITOR_ROUTES if role == "auditor" else {})}
            got, names = _sweep(world, user, allowlist)
            through += got
            swept |= names
    # the sweep reached the writes named in the finding, through pages and API
    assert {"cases:withdraw", "clocks:pause", "clocks:resume", "clocks:extension",
            "api:withdraw", "api:complete", "cases:task", "cases:note_add",
            "cases:attachment_add"} <= swept
    assert not through, "got through:\n" + "\n".join(through)


def test_withdraw_by_officer_without_relationship_is_refused(world):
    case = world["cases"][0]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = signed_in(world["outsiders"]["case_officer"]).post(
            f"/cases/{case.reference}/withdraw/", {"reason": "Applicant no longer wants it"})
    assert page.status_code == 403
    assert "no working relationship" in page.content.decode()
    case.refresh_from_db()
    assert case.status == "open"
    assert not CaseEvent.objects.filter(case=case, kind="withdrawn").exists()


def test_clock_changes_by_officer_without_relationship_are_refused(world):
    running, paused = world["cases"]
    before = _fingerprint(world["cases"])
    officer = signed_in(world["outsiders"]["case_officer"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        answers = [
            officer.post(f"/cases/{running.reference}/clocks/overall/pause/",
                         {"reason": "Awaiting documents"}),
            officer.post(f"/cases/{paused.reference}/clocks/overall/resume/"),
            officer.post(f"/cases/{running.reference}/clocks/overall/extension/",
                         {"duration": "P7D", "reason": "Interpreter needed"}),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert all("no working relationship" in a.content.decode() for a in answers)
    assert _fingerprint(world["cases"]) == before


def test_a_break_glass_access_lets_the_officer_act_as_well_as_read(world):
    running = world["cases"][0]
    officer = signed_in(world["outsiders"]["case_officer"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        officer.post(f"/cases/{running.reference}/break-glass/",
                     {"reason_code": "cover", "reason": "Covering for DC Shah who is on leave"})
        done = officer.post(f"/cases/{running.reference}/clocks/overall/pause/",
                            {"reason": "Awaiting documents"})
    assert done.status_code == 302
    assert CaseClock.objects.get(case=running, clock="overall").state == "paused"
