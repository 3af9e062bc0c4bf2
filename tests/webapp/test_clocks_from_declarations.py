"""Clocks come from the declarations of each case's own process version (scheme.json)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tests import factories
from webapp.cases import services
from webapp.cases.clock_services import (
    clock_pause,
    clock_resume,
    extension_decide,
    extension_request,
)
from webapp.cases.models import Incident, TaskState
from webapp.cases.timers import timers_sweep
from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent, ExtensionRequest
from webapp.errors import ServiceError

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
LICENCE = ROOT / "tests" / "fixtures" / "clocks_scheme"


def _renamed_csods(tmp_path: Path, *, declaration_too: bool) -> Path:
    """A copy of CSODS where a policy lead renamed the initial checks' breach timer."""
    folder = tmp_path / "csods"
    shutil.copytree(factories.CSODS, folder)
    names = ["csods.bpmn", "scheme.json"] if declaration_too else ["csods.bpmn"]
    for name in names:
        path = folder / name
        path.write_text(path.read_text().replace("bt_initial_overdue", "bt_first_checks_late"))
    return folder


def _people(force):
    return {role: factories.officer(role, force, role) for role in
            ("contact_handler", "case_officer", "decision_maker")}


def _page(user, case) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    return page.content.decode()


def test_a_renamed_breach_timer_still_moves_with_its_paused_clock(tmp_path):
    factories.version("csods", factories.CSODS)  # version 1 with the old timer id
    renamed = factories.version("csods", _renamed_csods(tmp_path, declaration_too=True))
    assert renamed.number == 2
    people = _people(factories.force(process=renamed))
    with time_machine.travel(T0, tick=False) as clock:
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
        due = CaseClock.objects.get(case=case, clock="initial").due_at
        assert case.timers.get(bpmn_id="bt_first_checks_late").due_at == due
        clock.shift(timedelta(hours=2))
        clock_pause(user=people["case_officer"], reference=case.reference, clock="initial",
                    reason="Awaiting the applicant's call back")
        assert not case.timers.filter(bpmn_id="bt_first_checks_late").exists()  # parked
        clock.shift(timedelta(days=3))
        assert timers_sweep() == 0
        clock_resume(user=people["case_officer"], reference=case.reference, clock="initial")
    assert case.timers.get(bpmn_id="bt_first_checks_late").due_at == due + timedelta(days=3)
    assert "ut_review_initial_breach" not in {
        t.bpmn_id for t in case.tasks.filter(state=TaskState.READY)}


def test_renaming_the_breach_timer_in_the_diagram_only_is_an_error_with_file_and_line(tmp_path):
    folder = _renamed_csods(tmp_path, declaration_too=False)
    result = subprocess.run([sys.executable, "manage.py", "process_check", str(folder)],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 1
    line = next(i for i, text in enumerate((folder / "scheme.json").read_text().splitlines(), 1)
                if '"bt_initial_overdue"' in text)
    assert (f"{folder / 'scheme.json'}:{line}: -: error: clock 'initial': 'bt_initial_overdue' "
            "is not a timer event in the diagram") in result.stdout


def test_a_clock_the_version_no_longer_declares_neither_crashes_the_sweep_nor_the_page(caplog):
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    people = _people(hrt)
    with time_machine.travel(T0, tick=False) as clock:
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
        asked = extension_request(user=people["case_officer"], reference=case.reference,
                                  clock="initial", duration="P1D", reason="Interpreter")
        # as if a policy lead had renamed the clock in the version the case now runs on
        ExtensionRequest.objects.filter(pk=asked.pk).update(clock="retired")
        CaseClock.objects.filter(case=case, clock="initial").update(clock="retired",
                                                                    label="First look")
        ClockEvent.objects.filter(case=case, clock="initial").update(clock="retired")
        clock.shift(timedelta(hours=30))
        with caplog.at_level(logging.WARNING, logger="webapp.clocks.sync"):
            assert timers_sweep() >= 1  # the BPMN breach timer fired
        case.refresh_from_db()
        assert case.status == "open" and not Incident.objects.filter(case=case).exists()
        assert not ClockAlert.objects.filter(case=case, clock="retired").exists()
        assert not case.timers.filter(clock="retired").exists()  # it no longer escalates
        assert "clock=retired" in caplog.text and "no longer escalates" in caplog.text
        html = _page(people["case_officer"], case)
        with pytest.raises(ServiceError) as refused:
            clock_pause(user=people["case_officer"], reference=case.reference,
                        clock="retired", reason="x")
        with pytest.raises(ServiceError) as not_approved:
            extension_decide(user=people["decision_maker"], request_id=asked.pk, approve=True)
        refusal = extension_decide(user=people["decision_maker"], request_id=asked.pk,
                                   approve=False)
    assert "First look" in html and "No longer part of this case's process" in html
    assert f"/cases/{case.reference}/clocks/retired/pause/" not in html
    assert refused.value.http_status == 409 and not_approved.value.http_status == 409
    assert refusal.approved is False  # a pending request on it can still be refused


def test_a_scheme_with_its_own_clocks_shows_them_with_its_labels():
    force = factories.force(process=factories.version("clocks_scheme", LICENCE))
    officer = factories.officer("triage", force, "case_officer")
    with time_machine.travel(T0, tick=False) as clock:
        case = services.case_start(user=officer, data={"holder": {"name": "Pat Doe"}})
        rows = {c.clock: c for c in CaseClock.objects.filter(case=case)}
        # the ruling clock's limit is null in the scheme: it does not run
        assert {name: row.label for name, row in rows.items()} == {
            "triage": "Triage window", "review": "Whole review"}
        assert rows["triage"].due_at == T0 + timedelta(hours=48)
        assert rows["review"].due_at == T0 + timedelta(days=20)
        assert case.timers.get(bpmn_id="bt_triage_late").due_at == T0 + timedelta(hours=48)
        # no breach timer declared for the whole review: the product raises that breach
        assert case.timers.filter(kind="breach", clock="review").exists()
        html = _page(officer, case)
        clock.shift(timedelta(hours=1))
        clock_pause(user=officer, reference=case.reference, clock="triage", reason="On hold")
        assert not case.timers.filter(bpmn_id="bt_triage_late").exists()
        clock.shift(timedelta(hours=5))
        clock_resume(user=officer, reference=case.reference, clock="triage")
        assert case.timers.get(bpmn_id="bt_triage_late").due_at == T0 + timedelta(hours=53)
        extension_request(user=officer, reference=case.reference, clock="triage",
                          duration="P2D", reason="Records held by another licensing authority")
        pending = _page(officer, case)
        sift = case.tasks.get(state=TaskState.READY, bpmn_id="ut_sift")
        services.task_complete(user=officer, task_id=sift.pk, data={"upheld": True})
    assert "Triage window" in html and "Whole review" in html
    assert "Ruling (no limit set)" not in html and "Initial checks" not in html
    assert "Triage window: 2 days more requested by triage" in pending
    assert CaseClock.objects.get(case=case, clock="triage").state == "met"
