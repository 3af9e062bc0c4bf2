"""What-if studio page: a policy lead replays their force's demo history on a draft and on
the deployed version, reads the results in words, and gets clear errors for bad choices."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories
from tests.factories import ROOT, signed_in
from webapp.audit.models import AccessLog
from webapp.cases import demo
from webapp.forces.models import SchemeDeployment
from webapp.processes import services

pytestmark = pytest.mark.django_db
PROCESSES = ROOT / "processes"

GOOD = {"months": "12", "staff-contact_handler": "2", "staff-case_officer": "3",
        "staff-decision_maker": "1", "staff-disclosure_officer": "1",
        "days": ["0", "1", "2", "3", "4"], "start": "08:00", "end": "18:00"}


def _text(html: str) -> str:
    """What a person reads: the page without its tags, scripts and attribute values."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def lead_and_deployment():
    """A force running DVDS with no history yet, and its policy lead."""
    hrt = factories.force("HRT", process=factories.version("dvds", PROCESSES / "dvds"))
    lead = factories.officer("lead", hrt, "policy_lead")
    return lead, SchemeDeployment.objects.get(force=hrt, scheme="dvds")


@pytest.fixture
def seeded():
    demo.seed()
    lead = get_user_model().objects.get(username=demo.username("WAR", "policy_lead"))
    deployment = SchemeDeployment.objects.get(force__code="WAR", scheme="dvds")
    return lead, deployment


def test_a_policy_lead_replays_the_forces_history_on_a_draft_beside_the_deployed_version(
        seeded):
    lead, deployment = seeded
    draft = services.draft_create(user=lead, version_id=deployment.active_version_id,
                                  title="Fewer checks")
    url = reverse("studio:draft_whatif", args=[draft.pk])
    client = signed_in(lead)

    # given the draft page's way in, and the form filled in with the force's people per role
    assert url in client.get(reverse("studio:draft", args=[draft.pk])).content.decode()
    form = client.get(url)
    assert form.status_code == 200
    assert 'id="staff-case_officer"' in form.content.decode()
    # when it runs
    response = client.post(url, GOOD)

    # then each clock's share on time is given for the draft and the version running now
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "What would happen" in text
    assert re.search(r"\d+% of cases would meet 'Immediate-risk check', against \d+% on", text)
    assert re.search(r"Overall response \d+% \(\d+ of \d+\) \d+% \(\d+ of \d+\)", text)
    assert "Case officers" in text and "Tasks waiting for an officer, week by week" in text
    for code in ("case_officer", "limit_overall", "ut_dv_", "RightToAsk"):
        assert code not in text
    # and reading the history is in the access log, as aggregate figures
    entry = AccessLog.objects.filter(object_type="case history (aggregate)").get()
    assert entry.object_id == "WAR" and entry.actor_username == lead.username
    # the same choices give the same figures
    again = _text(client.post(url, GOOD).content.decode())
    assert again == text


def test_wrong_choices_are_shown_beside_their_fields_with_what_was_typed(lead_and_deployment):
    lead, deployment = lead_and_deployment
    url = reverse("studio:version_whatif", args=[deployment.active_version_id])

    response = signed_in(lead).post(url, {**GOOD, "staff-case_officer": "many", "days": [],
                                          "start": "18:00", "end": "08:00", "months": "7"})

    assert response.status_code == 400
    text = _text(response.content.decode())
    assert "There is a problem" in text
    for message in ("Enter the number of case officers as a whole number, like 4",
                    "Select the days officers work", "The working day must end after it starts",
                    "Select how many months of cases to replay"):
        assert text.count(message) == 2  # in the summary and beside the field
    assert 'value="many"' in response.content.decode()
    assert "What would happen" not in text
    assert not AccessLog.objects.filter(object_type="case history (aggregate)").exists()


def test_no_officer_for_a_role_is_refused(lead_and_deployment):
    lead, deployment = lead_and_deployment
    url = reverse("studio:version_whatif", args=[deployment.active_version_id])

    response = signed_in(lead).post(url, {**GOOD, "staff-decision_maker": "0"})

    assert response.status_code == 400
    assert "Number of decision makers must be between 1 and 500" in response.content.decode()


def test_only_a_policy_lead_may_run_a_what_if(lead_and_deployment):
    _lead, deployment = lead_and_deployment
    officer = factories.officer("officer", deployment.force, "case_officer")
    url = reverse("studio:version_whatif", args=[deployment.active_version_id])

    assert signed_in(officer).get(url).status_code == 404
    assert signed_in(officer).post(url, GOOD).status_code == 404


def test_a_force_with_no_history_is_told_so_and_still_gets_figures(lead_and_deployment):
    lead, deployment = lead_and_deployment
    url = reverse("studio:version_whatif", args=[deployment.active_version_id])

    text = _text(signed_in(lead).post(url, GOOD).content.decode())

    assert "0 cases replayed" in text
    assert "Immediate-risk check No case reaches it" in text
