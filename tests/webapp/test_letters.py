"""Letters and documents: real PDFs made from the scheme's templates (or the force's own
version), read back as text to check what the recipient reads; downloaded only through the
need-to-know check, logged; a policy lead's hostile or broken template refused with its line,
nothing saved."""

from __future__ import annotations

from html import unescape
from io import BytesIO

import pytest
from pypdf import PdfReader

from tests import factories
from tests.factories import signed_in
from webapp.audit.models import AccessLog
from webapp.cases import services
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.processes import services as studio
from webapp.processes.models import LetterOverride, LetterTemplateChange

pytestmark = pytest.mark.django_db

NO_DISCLOSURE = {"decision": "no_disclosure", "disclosure_category": "not_applicable",
                 "safeguarding_referral": False}


@pytest.fixture
def world():
    people = factories.csods_officers()
    people["lead"] = factories.officer("lead", people["force"], "policy_lead")
    people["outsider"] = factories.officer("outsider", people["force"], "contact_handler")
    return people


def _complete(case: Case, bpmn_id: str, user, data: dict) -> None:
    task = HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)
    services.task_complete(user=user, task_id=task.pk, data=data)


def _decided(world, decision: dict) -> Case:
    case = services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))
    for bpmn_id, form in (("ut_initial_checks", "initial_checks"),
                          ("ut_verification_interview", "verification_interview"),
                          ("ut_police_checks", "police_checks"),
                          ("ut_intelligence_checks", "intelligence_checks"),
                          ("ut_partner_checks", "partner_checks"),
                          ("ut_risk_assessment", "risk_assessment")):
        _complete(case, bpmn_id, world["case_officer"], factories.sample(form))
    _complete(case, "ut_decision", world["decision_maker"],
              {**factories.sample("decision"), **decision})
    case.refresh_from_db()
    return case


def _text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(BytesIO(response.content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_no_disclosure_letter_is_offered_and_reads_as_the_applicant_reads_it(world):
    case = _decided(world, NO_DISCLOSURE)
    client = signed_in(world["decision_maker"])
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Letters and documents" in page
    assert "Letter to the applicant: no disclosure (PDF)" in page
    assert "Disclosure script" not in page  # offered only at the disclosure

    text = _text(client.get(f"/cases/{case.reference}/letters/non_disclosure_letter.pdf"))

    assert case.reference in text and "Dear Sarah Collins" in text
    assert "12 Orchard Way, Hatfield" in text and "Hertfordshire" in text
    assert "no disclosure will be made" in text
    assert "no_disclosure" not in text and "{{" not in text
    logged = AccessLog.objects.filter(object_type="letter", object_id=case.reference).get()
    assert logged.operation == "consult"
    assert "no disclosure" in " ".join(logged.fields).lower()


def test_the_disclosure_script_and_undertaking_use_the_decisions_words(world):
    case = _decided(world, {})
    client = signed_in(world["decision_maker"])
    _complete(case, "ut_plan_disclosure", world["disclosure_officer"],
              factories.sample("disclosure_plan"))
    case.refresh_from_db()

    script = _text(client.get(f"/cases/{case.reference}/letters/disclosure_script.pdf"))
    undertaking = _text(client.get(f"/cases/{case.reference}/letters/undertaking.pdf"))

    assert "Sarah Collins" in script and "Parent" in script and "Disclose" in script
    assert "Convictions for child sexual offences" in script
    assert "child_sexual_offence" not in script
    assert "I, Sarah Collins, have been given information" in undertaking


def test_an_officer_without_a_relationship_is_refused_and_nothing_is_made(world):
    case = _decided(world, NO_DISCLOSURE)
    answer = signed_in(world["outsider"]).get(
        f"/cases/{case.reference}/letters/non_disclosure_letter.pdf")
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("text/html")
    # a letter the case does not offer answers the same: the answer tells nothing of its stage
    not_offered = signed_in(world["outsider"]).get(
        f"/cases/{case.reference}/letters/disclosure_script.pdf")
    assert not_offered.status_code == 403
    assert not AccessLog.objects.filter(object_type="letter").exists()
    other_force = factories.force("WAR", "Warwickshire")
    stranger = factories.officer("stranger", other_force, "decision_maker")
    assert signed_in(stranger).get(
        f"/cases/{case.reference}/letters/case_summary.pdf").status_code == 404


def test_a_letter_not_offered_at_the_stage_is_not_found(world):
    case = services.case_start(user=world["contact_handler"], data=factories.sample("enquiry"))
    client = signed_in(world["contact_handler"])
    assert client.get(f"/cases/{case.reference}/letters/undertaking.pdf").status_code == 404
    assert client.get(f"/cases/{case.reference}/letters/nothing.pdf").status_code == 404
    summary = _text(client.get(f"/cases/{case.reference}/letters/case_summary.pdf"))
    assert "Sarah Collins" in summary
    # the subject is hidden from contact handlers: not in their summary either
    assert factories.sample("enquiry")["subject"]["last_name"] not in summary


def test_the_forces_own_version_is_used_instead_of_the_schemes(world):
    case = _decided(world, NO_DISCLOSURE)
    lead = signed_in(world["lead"])
    url = "/studio/letters/csods/non_disclosure_letter/"
    assert "Letter to the applicant: no disclosure" in lead.get(url).content.decode()
    own = "<p>Hertfordshire wrote this for {{ applicant }} ({{ case.reference }}): " \
          "{{ decision.decision }}.</p>"

    answer = lead.post(url, {"template": own, "action": "save"})

    assert answer.status_code == 302
    text = _text(signed_in(world["decision_maker"]).get(
        f"/cases/{case.reference}/letters/non_disclosure_letter.pdf"))
    assert f"Hertfordshire wrote this for Sarah Collins ({case.reference}): No disclosure." \
        in text
    listed = lead.get("/studio/letters/").content.decode()
    assert "Letter to the applicant: no disclosure" in listed
    assert "Your force&#x27;s version" in listed or "Your force's version" in listed
    lead.post(url, {"template": "", "action": "remove"})
    assert not LetterOverride.objects.exists()
    # every change is kept with its text, shown on the page and in the access log
    kept = list(LetterTemplateChange.objects.order_by("pk").values_list("template", flat=True))
    assert kept == [own, ""]
    page = lead.get(url).content.decode()
    assert "Saved the force's own version" in page
    assert "Went back to the scheme's version" in page
    logged = list(AccessLog.objects.filter(object_type="letter template",
                                           object_id="csods/non_disclosure_letter")
                  .order_by("pk").values_list("actor_username", "operation", "justification"))
    assert logged == [("lead", "alter", "the force's own version saved"),
                      ("lead", "alter", "back to the scheme's version")]


def test_the_preview_renders_sample_words(world):
    answer = signed_in(world["lead"]).post("/studio/letters/csods/undertaking/", {
        "template": "<p>Undertaking by {{ decision.recipient.name }}</p>", "action": "preview"})
    assert "Undertaking by [Name]" in _text(answer)


@pytest.mark.parametrize(("template", "words"), [
    ("<p>{% load static %}</p>", "Line 1: template error: Encountered unknown tag 'load'"),
    ('<p>x</p>\n{% include "/etc/passwd" %}', "Line 2: a letter cannot include another file"),
    ('<p>x</p>\n<img src="file:///etc/passwd">', "Line 2: the tag <img> is not allowed"),
    ('<link rel="stylesheet" href="http://127.0.0.1:9/x.css">', "the tag <link> is not allowed"),
    ("<style>@import 'http://127.0.0.1:9/x.css';</style>", "styles cannot load anything"),
    ('<p style="background: url(file:///etc/passwd)">x</p>', "styles cannot load anything"),
    ("<p>{{ '9' * 999999999 }}</p>", "'Mul' is not allowed"),
    ("<p>{{ ''.__class__ }}</p>", "look up only the fields of its words"),
    ("<p>{{ case._meta }}</p>", "look up only the fields of its words"),
    ("<p>{{ decision.colour }}</p>", "'decision' has no field 'colour'"),
    ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p>&e;</p>', "DOCTYPE"),
])
def test_a_hostile_or_broken_template_is_refused_with_its_line_and_nothing_saved(
        world, template, words):
    url = "/studio/letters/csods/non_disclosure_letter/"
    answer = signed_in(world["lead"]).post(url, {"template": template, "action": "save"})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page and "Nothing was saved." in page
    assert words in unescape(page)
    assert unescape(page).count(template) >= 1  # the text kept to fix
    assert not LetterOverride.objects.exists()


def test_only_a_policy_lead_changes_a_forces_letters(world):
    url = "/studio/letters/csods/non_disclosure_letter/"
    answer = signed_in(world["decision_maker"]).post(url, {"template": "<p>x</p>",
                                                           "action": "save"})
    assert answer.status_code == 404
    assert not LetterOverride.objects.exists()


def test_a_draft_can_change_a_schemes_template_and_its_check_names_the_line(world):
    lead = world["lead"]
    active = world["force"].schemes.get(scheme="csods").active_version
    draft = studio.draft_create(user=lead, version_id=active.pk)
    assert "letters/undertaking.html" in draft.files

    saved = studio.draft_save(user=lead, draft_id=draft.pk, files={
        "letters/undertaking.html": "<p>ok</p>\n<p>{{ decision.colour }}</p>"})

    problems = [p for p in saved.problems if p["file"] == "letters/undertaking.html"]
    assert problems and problems[0]["line"] == 2
    assert "'decision' has no field 'colour'" in problems[0]["message"]
