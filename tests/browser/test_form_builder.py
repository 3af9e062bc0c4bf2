"""The form builder in a real browser: a policy lead adds a yes/no question and a follow-up asked
only after "Yes", sees them in the preview as the officer will, saves, and the draft's JSON Schema
holds them. The builder page passes axe-core and fits a phone."""

from __future__ import annotations

import json

import pytest

from tests import factories
from tests.browser.pages import CHROMIUM, axe_violations, click, sign_in
from webapp.processes import services
from webapp.processes.models import ProcessDraft

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "out_of_scope_advice"


@pytest.fixture
def draft(_orm_beside_playwright, transactional_db) -> ProcessDraft:
    v1 = factories.version("csods", factories.CSODS)
    war = factories.force("WAR", "Warwickshire", process=v1)
    lead = factories.officer("war.policy", war, "policy_lead")
    return services.draft_create(user=lead, version_id=v1.pk, title="Leaflets")


def _question(page, n: int):
    return page.locator("fieldset.form-builder__question").nth(n)


def test_a_policy_lead_adds_a_follow_up_question_previews_it_and_saves_it(page, draft):
    sign_in(page, "war.policy")
    page.goto(f"/studio/drafts/{draft.pk}/")
    click(page, page.get_by_role("link", name="Change the forms' questions in the form builder"))
    click(page, page.get_by_role("link", name="Advice and signposting (out of scope)"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Form builder: Advice and signposting (out of scope)")
    count = page.locator("fieldset.form-builder__question").count()

    # a yes/no question, required
    page.get_by_role("button", name="Add a question", exact=True).click()
    asked = _question(page, count)
    expect(asked.get_by_label("Question", exact=True)).to_be_focused()
    asked.get_by_label("Question", exact=True).fill("Was a leaflet sent")
    expect(asked.get_by_label("Stored as")).to_have_value("was_a_leaflet_sent")
    asked.get_by_label("Type of answer").select_option(label="Yes or no")
    _question(page, count).get_by_label("The officer must answer it").check()

    # a follow-up asked only after "Yes"
    page.get_by_role("button", name="Add a question", exact=True).click()
    follow_up = _question(page, count + 1)
    follow_up.get_by_label("Question", exact=True).fill("Where was it sent")
    follow_up.get_by_label("Hint (optional)").fill("The postal or email address")
    follow_up.get_by_label("Type of answer").select_option(label="Long text")
    _question(page, count + 1).get_by_label("Show this question").select_option(
        label="Only after an answer to ‘Was a leaflet sent’")
    follow_up = _question(page, count + 1)
    expect(follow_up.get_by_label("When the answer is")).to_have_value("true")
    expect(follow_up).to_contain_text("the officer must answer it when it is shown")

    # the preview: the follow-up appears once "Yes" is chosen, as on the officer's task page
    preview = page.locator("#form-preview")
    page.get_by_role("button", name="Refresh the preview").click()
    expect(page.locator("#form-preview-status")).to_have_text("Preview up to date.")
    question = preview.get_by_role("group", name="Was a leaflet sent (required)")
    expect(question).to_be_visible()
    expect(preview.get_by_label("Where was it sent")).to_be_hidden()
    question.get_by_label("Yes").check()
    expect(preview.get_by_label("Where was it sent")).to_be_visible()
    expect(preview).to_contain_text("The postal or email address")

    # saved into the draft, checked
    page.get_by_role("button", name="Save the form").click()
    expect(page.locator("#form-builder-status")).to_contain_text(
        "Saved and checked. No problems in this form.")
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    assert schema["properties"]["where_was_it_sent"]["title"] == "Where was it sent"
    assert schema["properties"]["was_a_leaflet_sent"]["type"] == "boolean"
    assert "was_a_leaflet_sent" in schema["required"]
    assert {"if": {"properties": {"was_a_leaflet_sent": {"const": True}},
                   "required": ["was_a_leaflet_sent"]},
            "then": {"required": ["where_was_it_sent"]}} in schema["allOf"]


def test_a_policy_lead_builds_a_repeating_group_and_moves_it(page, draft):
    sign_in(page, "war.policy")
    page.goto(f"/studio/drafts/{draft.pk}/forms/{FORM}/")
    page.get_by_role("button", name="Add a question", exact=True).click()
    group = _question(page, 4)
    group.get_by_label("Question", exact=True).fill("Leaflets sent")
    group.get_by_label("Type of answer").select_option(label="Repeating group (for example, "
                                                             "children)")
    group = _question(page, 4)
    group.get_by_label("Name of one item").fill("Leaflet")
    inner = _question(page, 5)  # the group's first question, drawn inside it
    expect(inner.get_by_label("Question", exact=True)).to_be_visible()
    inner.get_by_label("Question", exact=True).fill("Leaflet name")
    _question(page, 5).get_by_label("The officer must answer it").check()

    # moved above the date, by keyboard: the focus stays on the moved question
    move = page.get_by_role("button", name="Move up question 5, ‘Leaflets sent’")
    move.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move up question 4, ‘Leaflets sent’")).to_be_focused()

    page.get_by_role("button", name="Refresh the preview").click()
    preview = page.locator("#form-preview")
    expect(preview.get_by_role("group", name="Leaflet 1")).to_be_visible()
    expect(preview.get_by_label("Leaflet name (required)")).to_be_visible()
    expect(preview.get_by_role("button", name="Add another leaflet")).to_be_visible()

    page.get_by_role("button", name="Save the form").click()
    expect(page.locator("#form-builder-status")).to_contain_text("Saved and checked.")
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    ui = json.loads(draft.files[f"forms/{FORM}.ui.json"])
    assert schema["properties"]["leaflets_sent"]["items"] == {
        "title": "Leaflet", "type": "object", "required": ["leaflet_name"],
        "properties": {"leaflet_name": {"title": "Leaflet name", "type": "string"}}}
    assert ui["ui:order"][3] == "leaflets_sent"


def test_a_question_the_builder_cannot_save_is_refused_and_kept(page, draft):
    sign_in(page, "war.policy")
    page.goto(f"/studio/drafts/{draft.pk}/forms/{FORM}/")
    page.get_by_role("button", name="Add a question", exact=True).click()
    page.get_by_role("button", name="Save the form").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The form was not saved")
    expect(summary).to_contain_text("Question 5: write the question.")
    expect(page.locator("fieldset.form-builder__question")).to_have_count(5)
    draft.refresh_from_db()
    assert "properties" in json.loads(draft.files[f"forms/{FORM}.schema.json"])
    assert len(json.loads(draft.files[f"forms/{FORM}.schema.json"])["properties"]) == 4


@pytest.mark.parametrize("width", [1366, 390])
def test_the_form_builder_has_no_axe_violations_and_fits_a_phone(page, draft, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "war.policy")
    for path in (f"/studio/drafts/{draft.pk}/forms/", f"/studio/drafts/{draft.pk}/forms/enquiry/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found = [f"{path}: axe {v['id']} ({v['impact']}): {v['help']} – "
                 + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                 for v in axe_violations(page)]
        assert not found, "\n".join(found)
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{path} scrolls sideways at {width} px ({scroll} px)"
