"""Words, not codes, on the pages officers read: durations in words and entered as a number and
a unit, instructions without blanks or codes, people by name, roles by name, clocks in the
state they are really in, a decision's outcome on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.instruction_words import readable_instructions
from webapp.cases.labelled import headline
from webapp.cases.models import HumanTask, TaskState
from webapp.cases.timers import timers_sweep
from webapp.clocks.durations import duration_from_parts, duration_words, durations_in_words
from webapp.clocks.models import ExtensionRequest
from webapp.processes.registry import definition_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup():
    people = factories.csods_officers("contact_handler", "case_officer", "decision_maker",
                                      "auditor")
    people["case_officer"].first_name, people["case_officer"].last_name = "Priya", "Shah"
    people["case_officer"].save()
    with time_machine.travel(T0, tick=False):
        case = services.case_start(user=people["contact_handler"],
                                   data=factories.sample("enquiry"))
    return case, people



def test_durations_read_and_are_entered_in_words():
    assert duration_words("PT24H") == "24 hours"
    assert duration_words("P45D") == "45 days"
    assert duration_words("P1D") == "1 day"
    assert duration_words("P1DT12H") == "1 day and 12 hours"
    assert duration_words("P1Y2M3D") == "1 year, 2 months and 3 days"
    assert duration_words("Standard") == "Standard"  # not a duration: left as it is
    # texts recorded before durations were written in words read in words too
    assert durations_in_words("Overall clock extended by +P7D: interpreter") \
        == "Overall clock extended by 7 days: interpreter"
    assert duration_from_parts("7", "days") == "P7D"
    assert duration_from_parts(" 24 ", "hours") == "PT24H"
    assert duration_from_parts("2", "weeks") == "P2W"
    for amount, unit, message in [("", "days", "Enter how much extra time is needed"),
                                  ("seven", "days", "must be a whole number"),
                                  ("7", "fortnights", "Select hours, days, weeks or months"),
                                  ("0", "days", "between 1 and 999 days")]:
        with pytest.raises(ValueError, match=message):
            duration_from_parts(amount, unit)


def test_clock_limits_and_extensions_in_words(setup):
    case, people = setup
    officer, dm = signed_in(people["case_officer"]), signed_in(people["decision_maker"])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = officer.get(f"/cases/{case.reference}/").content.decode()
        assert "24 hours" in page and "45 days" in page
        assert "PT24H" not in page and "P45D" not in page and "ISO 8601" not in page
        assert 'name="amount"' in page and '<option value="days" selected>Days</option>' in page

        refused = officer.post(f"/cases/{case.reference}/clocks/overall/extension/",
                               {"amount": "seven", "unit": "days", "reason": "Interpreter"})
        assert refused.status_code == 400
        text = refused.content.decode()
        assert "The extra time must be a whole number, like 7" in text
        assert "ISO 8601" not in text and not ExtensionRequest.objects.exists()

        officer.post(f"/cases/{case.reference}/clocks/overall/extension/",
                     {"amount": "7", "unit": "days", "reason": "Interpreter needed"})
        request = ExtensionRequest.objects.get(case=case)
        assert request.duration == "P7D"
        page = dm.get(f"/cases/{case.reference}/").content.decode()
        assert "Overall response: 7 days more requested by Priya Shah" in page
        decide = dm.get(f"/extensions/{request.pk}/decide/").content.decode()
        assert "Priya Shah" in decide and "case_officer" not in decide  # a name, not a login
        assert dm.post(f"/extensions/{request.pk}/decide/", {"approve": "yes"}).status_code == 302
        page = dm.get(f"/cases/{case.reference}/").content.decode()
    assert "extended by 7 days" in page  # the clock table
    assert "Overall response clock extended by 7 days: Interpreter needed" in page  # timeline
    assert "P7D" not in page and "+P7D" not in page


def test_timeline_names_people_and_the_decision_outcome(setup):
    case, people = setup
    officer = people["case_officer"]
    task = HumanTask.objects.get(case=case, state=TaskState.READY)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.task_claim(user=officer, task_id=task.pk)
        page = signed_in(officer).get(f"/cases/{case.reference}/").content.decode()
    assert "by Priya Shah" in page and "by case_officer" not in page
    # a user with no name is named by their username
    assert "by contact_handler" in page
    # with the collar number where the force records one
    officer.membership.collar_number = "4471"
    officer.membership.save(update_fields=["collar_number"])
    page = signed_in(officer).get(f"/cases/{case.reference}/").content.decode()
    assert "by Priya Shah (4471)" in page

    decision_form = definition_for(case.version).forms["decision.schema.json"]
    assert headline(decision_form, {"decision": "disclose", "lawful": True}) \
        == "Decision: Disclose"
    assert headline(definition_for(case.version).forms["enquiry.schema.json"],
                    factories.sample("enquiry")) == ""


def test_instructions_leave_out_blanks_and_codes():
    text = ("Initial checks were not completed within the 24-hour limit (). Applicant:  . "
            "Subject: . Child(ren): . The checks stay open.")
    assert readable_instructions(text, None) == (
        "Initial checks were not completed within the 24-hour limit. The checks stay open.")
    assert readable_instructions("Within the limit (P45D). Subject: Dean Marsh.", None) \
        == "Within the limit (45 days). Subject: Dean Marsh."


def test_breach_review_shows_the_clock_it_reviews_and_instructions_in_words(setup):
    case, people = setup
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        timers_sweep()
    review = HumanTask.objects.filter(case=case, role="decision_maker",
                                      state=TaskState.READY).first()
    assert review is not None, "the 24-hour breach opens a review for the decision maker"
    with time_machine.travel(T0 + timedelta(hours=60), tick=False):
        page = signed_in(people["decision_maker"]).get(f"/tasks/{review.pk}/").content.decode()
    assert "Initial checks clock: Overdue by 36 hours" in page
    assert "No time limit" not in page and "days left" not in page
    assert "PT24H" not in page and "(24 hours)" in page
    assert ": ." not in page


def test_alerts_say_the_state_the_clock_is_in(setup):
    case, people = setup
    with time_machine.travel(T0 + timedelta(hours=19), tick=False):
        timers_sweep()  # the warning at three quarters of the 24 hours
    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        queue = signed_in(people["decision_maker"]).get("/queue/").content.decode()
    assert "Initial checks – <strong class=\"due due--overdue\">Overdue by 3 days</strong>" \
        in queue
    assert "(warning raised" in queue


def test_access_log_names_roles(setup):
    case, people = setup
    assert signed_in(people["case_officer"]).get(f"/cases/{case.reference}/").status_code == 200
    page = signed_in(people["auditor"]).get("/audit/").content.decode()
    assert '<span class="hint">Case officer</span>' in page  # who consulted the case
    assert '<span class="hint">case_officer' not in page and "audit_verify" not in page
