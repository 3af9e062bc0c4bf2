"""What an officer sees on the generated form pages: dates as day, month and year, follow-up
questions under the answer that asks them, messages in the form's own words, impossible dates
refused with the typed values kept."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from engine.form_rules import today
from tests import factories
from tests.factories import signed_in
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, EventKind, HumanTask

pytestmark = pytest.mark.django_db
NEW = "/enquiries/new/?scheme=csods"


@pytest.fixture
def world():
    csods = factories.version("csods", factories.CSODS)
    hrt = factories.force()
    factories.deploy(hrt, csods)
    return {"intake": factories.officer("intake", hrt, "contact_handler", "case_officer")}




def _post(client: Client, url: str, pairs: list[tuple[str, str]], **replace: str) -> Any:
    body: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in replace:
            body.setdefault(key, []).append(value)
    for key, value in replace.items():
        body[key] = [value]
    return client.post(url, body)


def _text(response: Any) -> str:
    """The page's text as read (entities decoded, tags dropped, spaces collapsed)."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(page).split())


def _date(field: str, day: date) -> dict[str, str]:
    return {f"{field}.day": str(day.day), f"{field}.month": str(day.month),
            f"{field}.year": str(day.year)}


# --- dates ---------------------------------------------------------------------------------


def test_dates_are_day_month_and_year_fields_and_the_enquiry_date_starts_as_today(world):
    page = signed_in(world["intake"]).get(NEW).content.decode()
    now = today()
    assert 'type="date"' not in page
    assert '<div class="govuk-date-input" id="f-enquiry_date-input">' in page
    for part, value in (("day", now.day), ("month", now.month), ("year", now.year)):
        assert f'name="enquiry_date.{part}" type="text" inputmode="numeric" value="{value}"' \
            in page
    assert 'name="applicant.date_of_birth.day" type="text" inputmode="numeric" value=""' in page
    assert "For example, 27 3 2007" in page


def test_a_date_typed_as_day_month_and_year_is_stored_as_the_schema_says(world):
    sample = factories.sample("enquiry")
    response = _post(signed_in(world["intake"]), NEW, factories.as_post(sample),
                     **_date("applicant.date_of_birth", date(1988, 6, 4)))
    assert response.status_code == 302, _text(response)
    recorded = CaseEvent.objects.get(case=Case.objects.get(), kind=EventKind.STARTED).data
    assert recorded["applicant"]["date_of_birth"] == "1988-06-04"
    assert recorded["enquiry_date"] == sample["enquiry_date"]


@pytest.mark.parametrize(("parts", "message"), [
    ({"day": "31", "month": "2", "year": "2020"}, "The date of the enquiry must be a real date"),
    ({"day": "", "month": "2", "year": "2020"}, "The date of the enquiry must include a day"),
    ({"day": "", "month": "", "year": "2020"},
     "The date of the enquiry must include a day and month"),
    ({"day": "3", "month": "Feb", "year": "2020"}, "The date of the enquiry must be a real date"),
    ({"day": "3", "month": "2", "year": "20"}, "The date of the enquiry must be a real date"),
])
def test_a_partial_or_impossible_date_is_refused_and_shown_again_as_typed(world, parts, message):
    pairs = factories.as_post(factories.sample("enquiry"))
    response = _post(signed_in(world["intake"]), NEW, pairs,
                     **{f"enquiry_date.{k}": v for k, v in parts.items()})
    assert response.status_code == 400
    text = _text(response)
    assert "There is a problem" in text and text.count(message) == 2  # summary and field
    page = response.content.decode()
    for part, value in parts.items():
        assert f'name="enquiry_date.{part}" type="text" inputmode="numeric" value="{value}"' \
            in page
    assert '<a href="#f-enquiry_date">' in page
    assert Case.objects.count() == 0


def test_dates_are_checked_against_today_and_children_must_be_under_18(world):
    tomorrow = today() + timedelta(days=1)
    pairs = factories.as_post(factories.sample("enquiry"))
    response = _post(signed_in(world["intake"]), NEW, pairs,
                     **_date("enquiry_date", date(2030, 1, 1)),
                     **_date("applicant.date_of_birth", tomorrow),
                     **_date("children.0.date_of_birth", date(2000, 5, 1)))
    assert response.status_code == 400
    text = _text(response)
    assert "The date of the enquiry must be today or in the past" in text
    assert "The applicant's date of birth must be in the past" in text
    assert "Child 1: The child must be under 18: check the date of birth" in text
    assert 'name="children.0.date_of_birth.year" type="text" inputmode="numeric" ' \
        'value="2000"' in response.content.decode()
    assert Case.objects.count() == 0


# --- messages ------------------------------------------------------------------------------


def test_messages_are_written_from_the_forms_own_words(world):
    sample = factories.sample("enquiry")
    del sample["channel"]
    sample["applicant"]["first_name"] = ""
    sample["applicant"]["postcode"] = "NOT A POSTCODE 123"
    sample["subject"]["approximate_age"] = -4
    sample["concern"] = "x" * 5001
    response = _post(signed_in(world["intake"]), NEW, factories.as_post(sample))
    assert response.status_code == 400
    text = _text(response)
    for message in ("Select how the enquiry came in", "Enter the applicant's first name",
                    "Enter the applicant's postcode, like AL10 9AB",
                    "The subject's approximate age (if date of birth unknown) must be 10 or more",
                    "The concern, in the applicant's words must be 5,000 characters or fewer"):
        assert text.count(message) == 2, message  # in the summary and beside the field
    for machine in ("This field is required", "is too long", "less than the minimum",
                    "is a required property", "does not match"):
        assert machine not in text
    assert "x" * 5001 in response.content.decode()  # what was typed is kept


def test_a_required_yes_no_question_says_which_question(world):
    sample = factories.sample("enquiry")
    del sample["risk_flagged_at_contact"]
    text = _text(_post(signed_in(world["intake"]), NEW, factories.as_post(sample)))
    assert ("Select yes or no for ‘The applicant describes an immediate or imminent risk to a "
            "child’") in text


# --- follow-up questions -------------------------------------------------------------------


def _initial_checks(world) -> tuple[Client, HumanTask]:
    case = services.case_start(user=world["intake"], data=factories.sample("enquiry"),
                               scheme="csods")
    task = HumanTask.objects.get(case=case, bpmn_id="ut_initial_checks",
                                 completed_at__isnull=True)
    client = signed_in(world["intake"])
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    return client, task


def test_a_follow_up_question_sits_under_the_answer_that_asks_it(world):
    client, task = _initial_checks(world)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    no = re.search(r'<input class="govuk-radios__input" id="([^"]+)" name="in_scope" '
                   r'type="radio" value="no" data-aria-controls="([^"]+)">', page)
    assert no, "the 'No' answer controls the reveal"
    reveal = page[page.index(f'id="{no.group(2)}"'):]
    assert reveal.startswith(f'id="{no.group(2)}"')
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden"' in page
    assert reveal.index('name="out_of_scope_reason"') < reveal.index("</fieldset>\n</div>")
    assert "Why it is out of scope" in _text(client.get(f"/tasks/{task.pk}/"))
    opened = re.findall(r'<div class="(govuk-radios[^"]*)" data-module="govuk-radios">',
                        page[:no.start()])
    assert opened[-1] == "govuk-radios", "radios with a follow-up stack, never inline"


def test_a_follow_up_is_required_only_when_its_answer_is_given(world):
    client, task = _initial_checks(world)
    sample = factories.sample("initial_checks")
    response = _post(client, f"/tasks/{task.pk}/", factories.as_post({**sample, "in_scope": False}),
                     action="complete")
    assert response.status_code == 400
    text = _text(response)
    assert "Select why it is out of scope" in text
    page = response.content.decode()
    assert re.search(r'class="govuk-radios__conditional" id="[^"]+-conditional"', page), \
        "the answer given keeps its follow-up open"


def test_a_follow_up_whose_answer_does_not_hold_is_not_kept(world):
    client, task = _initial_checks(world)
    sample = factories.sample("initial_checks")
    typed = {**sample, "immediate_risk_details": "Typed, then answered No"}
    response = _post(client, f"/tasks/{task.pk}/", factories.as_post(typed), action="draft")
    assert response.status_code == 302
    task.refresh_from_db()
    assert "immediate_risk_details" not in task.draft
    assert task.draft["immediate_risk"] is False
