"""The studio's form builder: every shipped form survives the builder unchanged; the preview is
the officer's form; saving writes JSON Schema and UI schema into the draft, checked, and a bad
form is refused in plain words with the draft unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests import factories
from webapp.processes import services
from webapp.processes.form_builder_schema import form_schema
from webapp.processes.form_model import form_model

SHIPPED = sorted((factories.ROOT / "processes").glob("*/forms/*.schema.json"))
FORM = "out_of_scope_advice"


def _same(node: Any) -> Any:
    """A schema with its ``required`` lists as sets: their order means nothing."""
    if isinstance(node, dict):
        return {k: sorted(v) if k == "required" and isinstance(v, list) else _same(v)
                for k, v in node.items()}
    return [_same(v) for v in node] if isinstance(node, list) else node


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_shipped_form_comes_back_from_the_builder_as_it_was(path: Path):
    schema = json.loads(path.read_text())
    ui = json.loads(path.with_name(path.name.replace(".schema.json", ".ui.json")).read_text())
    # given the builder's model, as the browser sends it back
    model = json.loads(json.dumps(form_model(schema, ui)))
    # then the form it saves is the form it was
    saved_schema, saved_ui = form_schema(model)
    assert _same(saved_schema) == _same(schema)
    assert saved_ui == ui
    assert "other" not in json.dumps([f["type"] for f in model["fields"]])


@pytest.fixture
def studio(client):
    v1 = factories.version("csods", factories.CSODS)
    war = factories.force("WAR", "Warwickshire", process=v1)
    lead = factories.officer("war.policy", war, "policy_lead")
    officer = factories.officer("war.officer", war, "case_officer")
    draft = services.draft_create(user=lead, version_id=v1.pk)
    client.force_login(lead)
    return {"draft": draft, "client": client, "officer": officer, "v1": v1}


def _model(draft) -> dict[str, Any]:
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    ui = json.loads(draft.files[f"forms/{FORM}.ui.json"])
    return json.loads(json.dumps(form_model(schema, ui)))


def _with_follow_up(model: dict[str, Any]) -> dict[str, Any]:
    """A yes/no question and a follow-up asked only after "Yes", as a policy lead adds them."""
    model["fields"] += [
        {"key": "leaflet_sent", "type": "yesno", "title": "Was a leaflet sent",
         "hint": "", "required": True, "show_when": None, "schema": {}, "ui": {}},
        {"key": "leaflet_address", "type": "textarea", "title": "Where was it sent",
         "hint": "The postal or email address", "required": False,
         "show_when": {"field": "leaflet_sent", "values": [True]}, "schema": {}, "ui": {}}]
    return model


def _post(client, name: str, draft, body: Any):
    return client.post(reverse(f"studio:{name}", args=[draft.pk, FORM]), json.dumps(body),
                       content_type="application/json")


@pytest.mark.django_db
def test_the_builder_lists_the_drafts_forms_and_shows_one_as_the_officer_sees_it(studio):
    draft, client = studio["draft"], studio["client"]
    listing = client.get(reverse("studio:form_builder_index", args=[draft.pk])).content.decode()
    assert (f'href="/studio/drafts/{draft.pk}/forms/{FORM}/">Advice and signposting (out of '
            'scope)</a>') in listing
    page = client.get(reverse("studio:form_builder", args=[draft.pk, FORM])).content.decode()
    assert "Form builder: Advice and signposting (out of scope)" in page
    assert 'id="form-model"' in page  # the builder's questions, for the script
    # the preview: the task page's components, the form's own words
    assert 'class="govuk-checkboxes__input" id="preview-signposting"' in page
    assert "NSPCC helpline 0808 800 5000" in page
    assert "Edit this form as JSON instead (advanced)" in page


@pytest.mark.django_db
def test_the_preview_shows_a_follow_up_under_the_answer_that_asks_it(studio):
    draft, client = studio["draft"], studio["client"]
    response = _post(client, "form_preview", draft, {"form": _with_follow_up(_model(draft))})
    assert response.status_code == 200
    html = response.json()["html"]
    yes = html.index('id="preview-leaflet_sent" name="leaflet_sent" type="radio" value="yes"')
    reveal = html.index('id="preview-leaflet_sent-conditional"')
    follow_up = html.index("Where was it sent")
    assert yes < reveal < follow_up
    assert "The postal or email address" in html
    assert 'Where was it sent <span class="required">(required)</span>' in html


@pytest.mark.django_db
def test_saving_writes_the_schema_and_ui_schema_into_the_draft_checked(studio):
    draft, client = studio["draft"], studio["client"]
    response = _post(client, "form_save", draft, {
        "form": _with_follow_up(_model(draft)), "if_saved_at": draft.updated_at.isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["problems"] == []
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    ui = json.loads(draft.files[f"forms/{FORM}.ui.json"])
    assert schema["properties"]["leaflet_address"] == {
        "title": "Where was it sent", "description": "The postal or email address",
        "type": "string"}
    assert "leaflet_sent" in schema["required"]
    assert "leaflet_address" not in schema["required"]
    assert schema["allOf"] == [{
        "if": {"properties": {"leaflet_sent": {"const": True}}, "required": ["leaflet_sent"]},
        "then": {"required": ["leaflet_address"]}}]
    assert ui["leaflet_address"] == {"ui:widget": "textarea"}
    assert ui["ui:order"][-2:] == ["leaflet_sent", "leaflet_address"]
    assert not [p for p in draft.problems if p["file"].startswith(f"forms/{FORM}")]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m["fields"][-1].update(show_when={"field": "advice_given", "values": ["x"]}),
     "‘Where was it sent’: it can only follow a yes/no or choose-one question."),
    (lambda m: m["fields"][-1].update(key="advice_given"),
     "another question in the same part of the form is stored as ‘advice_given’"),
    (lambda m: m["fields"][2]["options"].append({"value": "phone", "label": "Telephone"}),
     "‘Applicant told by’: two options store the same value ‘phone’"),
    (lambda m: m["fields"][-1].update(title=""), "write the question"),
])
def test_a_form_the_builder_cannot_save_is_refused_in_plain_words(studio, change, message):
    draft, client = studio["draft"], studio["client"]
    before = copy.deepcopy(draft.files)
    model = _with_follow_up(_model(draft))
    change(model)
    response = _post(client, "form_save", draft, {"form": model})
    assert response.status_code == 400
    assert message in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.files == before


@pytest.mark.django_db
def test_a_form_the_check_finds_errors_in_is_refused_and_the_draft_is_unchanged(studio):
    draft, client = studio["draft"], studio["client"]
    before = copy.deepcopy(draft.files)
    model = _with_follow_up(_model(draft))
    # a message for a rule that does not exist
    model["fields"][-2]["ui"] = {"ui:errorMessages": {"toolate": "Too late"}}
    response = _post(client, "form_save", draft, {"form": model})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The form was not saved: fix the problems below."
    assert [p["message"] for p in body["problems"]] == [
        "‘Was a leaflet sent’: 'toolate' is not a keyword a message can be given for"]
    draft.refresh_from_db()
    assert draft.files == before


@pytest.mark.django_db
def test_an_unchanged_form_saves_as_it_was(studio):
    draft, client = studio["draft"], studio["client"]
    before = {n: json.loads(t) for n, t in draft.files.items() if n.startswith(f"forms/{FORM}.")}
    assert _post(client, "form_save", draft, {"form": _model(draft)}).status_code == 200
    draft.refresh_from_db()
    after = {n: json.loads(t) for n, t in draft.files.items() if n.startswith(f"forms/{FORM}.")}
    assert _same(after) == _same(before)


@pytest.mark.django_db
def test_only_policy_leads_reach_the_builder(studio):
    draft, client = studio["draft"], studio["client"]
    client.force_login(studio["officer"])
    assert client.get(reverse("studio:form_builder", args=[draft.pk, FORM])).status_code == 404
    assert _post(client, "form_save", draft, {"form": _model(draft)}).status_code == 404


@pytest.mark.django_db
def test_a_follow_up_under_a_drop_down_list_is_refused(studio):
    draft, client = studio["draft"], studio["client"]
    model = _model(draft)
    told_by = model["fields"][2]
    told_by["options"] += [{"value": v, "label": v.title()} for v in ("fax", "text")]
    model["fields"].append({"key": "why", "type": "text", "title": "Why", "hint": "",
                            "show_when": {"field": "applicant_informed_by", "values": ["fax"]},
                            "schema": {}, "ui": {}})
    response = _post(client, "form_save", draft, {"form": model})
    assert response.status_code == 400
    assert "‘Applicant told by’ is shown as a drop-down list (more than 5 options)" in (
        response.json()["detail"])


@pytest.mark.django_db
def test_repeating_groups_and_lists_built_in_the_builder_render_and_save(studio):
    draft, client = studio["draft"], studio["client"]
    model = _model(draft)
    model["fields"] += [
        {"key": "leaflets", "type": "repeat", "title": "Leaflets sent", "hint": "",
         "item_title": "Leaflet", "required": True, "show_when": None, "schema": {}, "ui": {},
         "fields": [
             {"key": "name", "type": "text", "title": "Leaflet name", "hint": "",
              "required": True, "schema": {}, "ui": {}},
             {"key": "sent_on", "type": "date", "title": "Sent on", "hint": "",
              "required": False, "schema": {}, "ui": {"ui:notAfter": "today"}}]},
        {"key": "aliases", "type": "list", "title": "Other names", "hint": "",
         "item_title": "Other name", "required": False, "schema": {}, "ui": {}}]
    html = _post(client, "form_preview", draft, {"form": model}).json()["html"]
    assert "Leaflet 1" in html and "Add another leaflet" in html
    assert 'name="leaflets.0.sent_on.day"' in html
    assert "Add another other name" in html
    assert _post(client, "form_save", draft, {"form": model}).status_code == 200
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    ui = json.loads(draft.files[f"forms/{FORM}.ui.json"])
    assert schema["properties"]["leaflets"] == {
        "title": "Leaflets sent", "type": "array",
        "items": {"title": "Leaflet", "type": "object", "required": ["name"], "properties": {
            "name": {"title": "Leaflet name", "type": "string"},
            "sent_on": {"title": "Sent on", "type": "string", "format": "date"}}}}
    assert schema["properties"]["aliases"] == {
        "title": "Other names", "type": "array", "items": {"title": "Other name",
                                                            "type": "string"}}
    assert ui["leaflets"] == {"items": {"sent_on": {"ui:notAfter": "today"},
                                        "ui:order": ["name", "sent_on"]}}


@pytest.mark.django_db
def test_a_changed_type_drops_what_no_longer_applies(studio):
    draft, client = studio["draft"], studio["client"]
    model = _model(draft)
    told_on = model["fields"][3]  # a date with "not after today"
    told_on["type"] = "yesno"
    assert _post(client, "form_save", draft, {"form": model}).status_code == 200
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    ui = json.loads(draft.files[f"forms/{FORM}.ui.json"])
    assert schema["properties"]["applicant_informed_on"] == {
        "title": "Applicant told on", "type": "boolean"}
    assert "applicant_informed_on" not in ui


@pytest.mark.django_db
def test_a_new_form_starts_from_its_title_and_opens_in_the_builder(studio):
    draft, client = studio["draft"], studio["client"]
    url = reverse("studio:form_new", args=[draft.pk])
    refused = client.post(url, {"title": "", "key": ""}).content.decode()
    assert "Enter the title of the form" in refused
    taken = client.post(url, {"title": "Advice", "key": FORM}).content.decode()
    assert f"The draft already has a form called {FORM}" in taken
    response = client.post(url, {"title": "Record the home visit", "key": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("studio:form_builder",
                                           args=[draft.pk, "record_the_home_visit"])
    draft.refresh_from_db()
    schema = json.loads(draft.files["forms/record_the_home_visit.schema.json"])
    assert schema["title"] == "Record the home visit"
    assert schema["properties"] == {}
    page = client.get(response["Location"]).content.decode()
    assert "Form builder: Record the home visit" in page


@pytest.mark.django_db
def test_a_schema_error_is_named_by_its_question(studio):
    draft, client = studio["draft"], studio["client"]
    model = _model(draft)
    model["fields"][0]["schema"]["maxLength"] = "many"  # as if typed into the JSON
    response = _post(client, "form_save", draft, {"form": model})
    assert response.status_code == 400
    assert [p["message"] for p in response.json()["problems"]] == [
        "‘Advice given’: not a valid JSON Schema: 'many' is not of type 'integer'"]


@pytest.mark.django_db
def test_a_whole_number_choice_stores_numbers_and_its_follow_up_matches_them(studio):
    draft, client = studio["draft"], studio["client"]
    model = _model(draft)
    model["fields"] += [
        {"key": "visits", "type": "choice", "title": "Visits", "hint": "", "required": True,
         "schema": {"type": "integer"}, "ui": {},
         "options": [{"value": "1", "label": "One"}, {"value": "2", "label": "Two"}]},
        {"key": "second_visit", "type": "date", "title": "Second visit", "hint": "",
         "show_when": {"field": "visits", "values": ["2"]}, "schema": {}, "ui": {}}]
    assert _post(client, "form_save", draft, {"form": model}).status_code == 200
    draft.refresh_from_db()
    schema = json.loads(draft.files[f"forms/{FORM}.schema.json"])
    assert schema["properties"]["visits"]["oneOf"] == [{"const": 1, "title": "One"},
                                                       {"const": 2, "title": "Two"}]
    assert schema["allOf"][-1]["if"]["properties"] == {"visits": {"const": 2}}
