"""Scenarios in the studio: run on every save and shown on the draft page, a failing one blocks
publishing (the form kept), and a policy lead writes one by walking through the draft with the
officers' task forms, without writing JSON."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.test import Client

from tests import factories
from webapp.processes import services
from webapp.processes.models import ProcessDraft, ProcessVersion

pytestmark = pytest.mark.django_db
NO_DISCLOSURE = "scenarios/no-disclosure.json"


@pytest.fixture
def world():
    v1 = factories.version("csods", factories.CSODS)
    war = factories.force("WAR", "Warwickshire", process=v1)
    lead = factories.officer("war.policy", war, "policy_lead")
    draft = services.draft_create(user=lead, version_id=v1.pk)
    client = Client()
    client.force_login(lead)
    return {"v1": v1, "lead": lead, "draft": draft, "client": client}


def _text(response: Any) -> str:
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(page).split())



def _body(pairs: list[tuple[str, str]], **extra: str) -> dict[str, list[str]]:
    body: dict[str, list[str]] = {}
    for key, value in pairs:
        body.setdefault(key, []).append(value)
    body.update({k: [v] for k, v in extra.items()})
    return body


def _wrong_outcome(draft: ProcessDraft) -> str:
    doc = json.loads(draft.files[NO_DISCLOSURE])
    doc["expect"]["outcomes"] = ["DisclosureChildSexualOffence"]
    return json.dumps(doc, indent=2)


def test_every_save_runs_the_scenarios_and_the_draft_page_shows_them(world):
    draft = services.draft_save(user=world["lead"], draft_id=world["draft"].pk,
                                files={"scheme.json": world["draft"].files["scheme.json"]})
    assert draft.error_count == 0
    assert {r["file"]: r["passed"] for r in draft.scenario_results}[NO_DISCLOSURE] is True
    page = _text(world["client"].get(f"/studio/drafts/{draft.pk}/"))
    assert "Scenarios" in page
    assert "Passes Full checks, then the decision maker decides not to disclose" in page
    assert "Fails" not in page


def test_a_failing_scenario_is_an_error_of_the_draft_in_plain_words(world):
    draft = services.draft_save(user=world["lead"], draft_id=world["draft"].pk,
                                files={NO_DISCLOSURE: _wrong_outcome(world["draft"])})
    assert draft.error_count == 1
    (problem,) = [p for p in draft.problems if p["file"] == NO_DISCLOSURE]
    assert problem["line"] > 1
    page = _text(world["client"].get(f"/studio/drafts/{draft.pk}/"))
    assert ("Fails Full checks, then the decision maker decides not to disclose Expected the "
            "case to end with outcome 'Disclosure: child sexual offences' but it ended with "
            "outcome 'No disclosure'.") in page


def test_a_failing_scenario_blocks_publishing_and_the_change_note_is_kept(world):
    draft = services.draft_save(user=world["lead"], draft_id=world["draft"].pk,
                                files={NO_DISCLOSURE: _wrong_outcome(world["draft"])})
    response = world["client"].post(f"/studio/drafts/{draft.pk}/publish/",
                                    {"note": "Clearer wording for the decision"})
    assert response.status_code == 409
    page = _text(response)
    assert ("1 scenario fails: 'Full checks, then the decision maker decides not to disclose'. "
            "A version is published only when every scenario passes") in page
    assert "Clearer wording for the decision" in response.content.decode()
    assert ProcessVersion.objects.count() == 1


def test_a_draft_whose_scenarios_pass_publishes_with_them(world):
    doc = json.loads(world["draft"].files[NO_DISCLOSURE])
    doc["title"] = "No disclosure after the full checks"
    services.draft_save(user=world["lead"], draft_id=world["draft"].pk,
                        files={NO_DISCLOSURE: json.dumps(doc, indent=2)})
    version = services.version_publish(user=world["lead"], draft_id=world["draft"].pk,
                                       note="A clearer scenario title")
    assert json.loads(version.files[NO_DISCLOSURE])["title"] == doc["title"]


def _walk_answer(client: Client, url: str, sample: str, **changes: Any) -> Any:
    page = client.get(url)
    task = re.search(r'name="task" value="([^"]+)"', page.content.decode())
    assert task, _text(page)
    data = {**factories.sample(sample), **changes}
    return client.post(url, _body(factories.as_post(data), task=task.group(1), action="complete"))


def test_a_policy_lead_writes_a_scenario_by_walking_through_the_draft(world):
    client, draft = world["client"], world["draft"]
    url = f"/studio/drafts/{draft.pk}/scenarios/walk/"
    first = _text(client.get(url))
    assert "Write a scenario" in first and "Record the enquiry" in first
    assert _walk_answer(client, url, "enquiry").status_code == 302
    assert "Initial checks" in _text(client.get(url))
    assert _walk_answer(client, url, "initial_checks").status_code == 302
    assert "Verification interview" in _text(client.get(url))
    assert _walk_answer(client, url, "verification_interview",
                        identity_verified=False).status_code == 302
    # then: the case has ended, with its path and outcome shown in words
    end = _text(client.get(url))
    assert "The case has ended" in end
    assert "Outcome: Identity not verified" in end
    assert "Record the enquiry" in end and "Verification interview" in end
    # a title is needed; the page says so beside the field
    refused = client.post(url, {"action": "save", "title": "  "})
    assert refused.status_code == 400
    assert "Enter a title for the scenario" in _text(refused)
    saved = client.post(url, {"action": "save", "title": "Identity check fails"})
    assert saved.status_code == 302
    draft.refresh_from_db()
    doc = json.loads(draft.files["scenarios/identity-check-fails.json"])
    assert doc["title"] == "Identity check fails"
    assert doc["expect"] == {"path": ["ut_record_enquiry", "ut_initial_checks",
                                      "ut_verification_interview"],
                             "outcomes": ["IdentityNotVerified"]}
    result = {r["file"]: r for r in draft.scenario_results}[
        "scenarios/identity-check-fails.json"]
    assert result["passed"]
    listing = _text(client.get(saved["Location"]))
    assert "Scenario saved: it passes." in listing
    assert "Identity check fails" in listing


def test_answers_the_form_refuses_are_shown_again_with_the_message(world):
    client, draft = world["client"], world["draft"]
    url = f"/studio/drafts/{draft.pk}/scenarios/walk/"
    response = client.post(url, {"task": "ut_record_enquiry", "action": "complete",
                                 "concern": "Seen at the school gate"})
    assert response.status_code == 400
    page = _text(response)
    assert "There is a problem" in page
    assert "Seen at the school gate" in response.content.decode()
    assert "No task answered yet." in page


def test_a_message_during_the_walk_becomes_an_event_of_the_scenario(world):
    client, draft = world["client"], world["draft"]
    url = f"/studio/drafts/{draft.pk}/scenarios/walk/"
    _walk_answer(client, url, "enquiry")
    _walk_answer(client, url, "initial_checks")
    page = _text(client.get(url))
    assert "Withdraw the application" in page
    sent = client.post(url, {"action": "message", "message": "ApplicantWithdraws",
                             "reason": "Moved away"})
    assert sent.status_code == 302
    assert "Outcome: Withdrawn by the applicant" in _text(client.get(url))
    client.post(url, {"action": "save", "title": "Withdrawn after the checks"})
    draft.refresh_from_db()
    doc = json.loads(draft.files["scenarios/withdrawn-after-the-checks.json"])
    assert doc["events"] == [{"after": "ut_initial_checks", "message": "ApplicantWithdraws",
                              "payload": {"reason": "Moved away"}}]


def test_a_scenario_is_deleted_from_the_draft_after_confirmation(world):
    client, draft = world["client"], world["draft"]
    listing = _text(client.get(f"/studio/drafts/{draft.pk}/scenarios/"))
    assert "Full checks, then the decision maker decides not to disclose" in listing
    confirm = client.get(f"/studio/drafts/{draft.pk}/scenarios/no-disclosure/delete/")
    assert "Delete the scenario" in _text(confirm)
    done = client.post(f"/studio/drafts/{draft.pk}/scenarios/no-disclosure/delete/")
    assert done.status_code == 302
    draft.refresh_from_db()
    assert NO_DISCLOSURE not in draft.files
    assert NO_DISCLOSURE not in {r["file"] for r in draft.scenario_results}


def test_a_walk_can_start_the_way_a_force_runs_the_scheme(world):
    client, draft = world["client"], world["draft"]
    url = f"/studio/drafts/{draft.pk}/scenarios/walk/"
    page = _text(client.get(url))
    assert "Who decides" in page and "A multi-agency panel" in page
    assert client.post(url, {"action": "settings", "decision_route": "panel"}).status_code == 302
    for sample in ("enquiry", "initial_checks", "verification_interview", "police_checks",
                   "intelligence_checks", "partner_checks", "risk_assessment"):
        assert _walk_answer(client, url, sample).status_code == 302
    assert "Record the panel decision (MAPPA / multi-agency)" in _text(client.get(url))
    client.post(url, {"action": "save", "title": "Panel route"})
    draft.refresh_from_db()
    doc = json.loads(draft.files["scenarios/panel-route.json"])
    assert doc["parameters"] == {"decision_route": "panel"}
    assert doc["expect"]["waiting_at"] == ["ut_panel_decision"]
    assert {r["file"]: r["passed"] for r in draft.scenario_results}[
        "scenarios/panel-route.json"]
