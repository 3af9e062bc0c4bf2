"""Task forms from JSON Schema: rendering, parsing back, repeat actions, errors, escaping."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string

from engine import EngineError
from engine.instance import validate_form_data
from webapp.cases.schema_form_post import apply_repeat_actions, parse_post
from webapp.cases.schema_forms import Field, errors_by_name, humanise, render_fields
from webapp.cases.templatetags.schema_forms import error_summary

FORMS = Path(__file__).resolve().parents[2] / "processes" / "csods" / "forms"

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Record enquiry", "type": "object", "additionalProperties": False,
    "required": ["channel", "applicant", "children", "concern"],
    "properties": {
        "channel": {"type": "string", "title": "How the enquiry came in",
                    "enum": ["phone", "station", "online", "other"],
                    "x-enumNames": ["Phone (101)", "Front counter", "Online", "Other"]},
        "applicant": {"type": "object", "title": "Applicant",
                      "required": ["first_name", "last_name"], "properties": {
                          "first_name": {"type": "string", "title": "First name", "maxLength": 100},
                          "last_name": {"type": "string", "title": "Last name", "maxLength": 100},
                          "date_of_birth": {"type": "string", "format": "date",
                                            "title": "Date of birth"},
                          "safe_contact": {"type": "string", "maxLength": 500,
                                           "title": "Safe contact method and times",
                                           "description": "How and when it is safe to call."}}},
        "subject": {"type": "object", "title": "Subject", "properties": {
            "aliases": {"type": "array", "title": "Aliases",
                        "items": {"type": "string", "maxLength": 100}},
            "age": {"type": "integer", "minimum": 0, "maximum": 120, "title": "Age"},
            "height_m": {"type": "number"},
            "relationship": {"type": "string", "title": "Relationship to the applicant",
                             "enum": ["partner", "ex_partner", "friend", "neighbour",
                                      "family", "other"]}}},
        "children": {"type": "array", "title": "Children", "minItems": 1, "maxItems": 3,
                     "items": {"type": "object", "title": "Child", "required": ["name"],
                               "properties": {
                                   "name": {"type": "string", "title": "Name"},
                                   "age": {"type": "integer", "title": "Age",
                                           "minimum": 0, "maximum": 17}}}},
        "immediate_risk": {"type": "boolean", "title": "Is any child at immediate risk?"},
        "referral": {"type": "string", "title": "Referral route", "oneOf": [
            {"const": "mash", "title": "Multi-agency hub"}, {"const": "none", "title": "None"}]},
        "notes": {"type": "string", "title": "Notes"},
        "concern": {"type": "string", "title": "The concern in the applicant's words",
                    "maxLength": 4000},
    },
}
UI = {"notes": {"ui:widget": "textarea", "ui:options": {"rows": 3}}}

FULL: dict[str, Any] = {
    "channel": "station",
    "applicant": {"first_name": "Ann", "last_name": "Smith", "date_of_birth": "1990-02-03",
                  "safe_contact": "Mobile,\nafter 6pm"},
    "subject": {"aliases": ["Bob", "Rob"], "age": 41, "height_m": 1.8,
                "relationship": "ex_partner"},
    "children": [{"name": "Cat", "age": 7}, {"name": "Dan"}],
    "immediate_risk": False,
    "referral": "mash",
    "notes": "Called twice.",
    "concern": "He was seen near the school.",
}


class _Browser(HTMLParser):
    """Collects what a browser would submit, plus ids and label targets, from rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: dict[str, dict[str, str | None]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        if tag in ("input", "textarea", "select") and a.get("id"):
            self.controls[a["id"] or ""] = a
        name = a.get("name") or ""
        if tag == "input" and a.get("type") not in ("radio", "checkbox") or (
                tag == "input" and "checked" in a):
            self.pairs.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = name
            self.pairs.append((name, ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select is not None and "selected" in a:
            self.pairs.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.pairs[-1]
            self.pairs[-1] = (name, value + data)

    def post(self, **extra: str) -> QueryDict:
        return QueryDict(urlencode([*self.pairs, *extra.items()]))


def _render(schema: dict[str, Any], data: dict[str, Any] | None,
            errors: dict[str, list[str]] | None = None,
            ui: dict[str, Any] | None = None) -> tuple[str, _Browser]:
    fields = render_fields(schema, data, errors, ui)
    html = render_to_string("cases/form/fields.html", {"fields": fields})
    browser = _Browser()
    browser.feed(html)
    return html, browser


def _by_name(fields: list[Field]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for field in fields:
        out[field.name] = field
        out.update(_by_name(field.children))
    return out


def _post(pairs: dict[str, str | list[str]]) -> QueryDict:
    return QueryDict(urlencode(pairs, doseq=True))


# --- rendering --------------------------------------------------------------------------------


def test_each_schema_construct_becomes_the_expected_kind_of_field():
    fields = _by_name(render_fields(SCHEMA, FULL, None, UI))

    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds == {
        "channel": "radios", "applicant": "fieldset", "applicant.first_name": "text",
        "applicant.last_name": "text", "applicant.date_of_birth": "date",
        "applicant.safe_contact": "textarea", "subject": "fieldset",
        "subject.aliases": "list-of-strings", "subject.aliases.0": "text",
        "subject.aliases.1": "text", "subject.age": "integer", "subject.height_m": "number",
        "subject.relationship": "select", "children": "repeat", "children.0": "fieldset",
        "children.0.name": "text", "children.0.age": "integer", "children.1": "fieldset",
        "children.1.name": "text", "children.1.age": "integer",
        "immediate_risk": "checkbox-yes-no", "referral": "radios", "notes": "textarea",
        "concern": "textarea",
    }
    assert fields["children.1"].label == "Child 2"
    assert fields["subject.aliases.1"].label == "Aliases 2"
    assert fields["subject.height_m"].label == "Height m"
    assert [c.label for c in fields["channel"].choices][:2] == ["Phone (101)", "Front counter"]
    assert [c.label for c in fields["referral"].choices] == ["Multi-agency hub", "None"]
    assert fields["subject.relationship"].choices[1].label == "Ex partner"
    assert fields["notes"].rows == 3
    assert fields["applicant.safe_contact"].help == "How and when it is safe to call."
    assert fields["applicant.first_name"].required
    assert not fields["applicant.date_of_birth"].required
    assert fields["children.0.name"].required


def test_the_html_ties_every_label_to_its_control_and_uses_the_right_inputs():
    html, browser = _render(SCHEMA, FULL, ui=UI)

    assert len(browser.ids) == len(set(browser.ids)), "ids must be unique"
    assert set(browser.controls) <= browser.label_for, "every control has a <label for>"
    c = browser.controls
    dob = ("f-applicant-date_of_birth", "f-applicant-date_of_birth-month",
           "f-applicant-date_of_birth-year")
    assert [(c[i]["name"], c[i]["value"], c[i]["inputmode"]) for i in dob] == [
        ("applicant.date_of_birth.day", "3", "numeric"),
        ("applicant.date_of_birth.month", "2", "numeric"),
        ("applicant.date_of_birth.year", "1990", "numeric")]
    assert '<div class="govuk-date-input" id="f-applicant-date_of_birth-input">' in html
    assert (c["f-subject-age"]["type"], c["f-subject-age"]["inputmode"]) == ("text", "numeric")
    assert c["f-subject-height_m"]["inputmode"] == "decimal"
    assert c["f-channel"]["type"] == "radio" and c["f-channel"]["value"] == "phone"
    assert c["f-channel-2"]["value"] == "station" and "checked" in c["f-channel-2"]
    assert c["f-immediate_risk"]["value"] == "yes" and "checked" not in c["f-immediate_risk"]
    assert c["f-immediate_risk-2"]["value"] == "no" and "checked" in c["f-immediate_risk-2"]
    assert c["f-applicant-first_name"]["aria-required"] == "true"
    assert "required" not in c["f-applicant-first_name"], "validation is server-side"
    assert c["f-applicant-safe_contact"]["aria-describedby"] == "f-applicant-safe_contact-hint"
    assert '<textarea class="govuk-textarea" id="f-concern" name="concern"' in html
    assert '<select class="govuk-select" id="f-subject-relationship"' in html
    assert ('<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Children '
            '<span class="required">(required)</span></legend>') in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Child 2</legend>' \
        in html
    assert '<legend class="govuk-fieldset__legend">Is any child at immediate risk?</legend>' \
        in html
    assert '<div class="govuk-radios govuk-radios--inline" data-module="govuk-radios">' in html
    assert '<div class="govuk-checkboxes" data-module="govuk-checkboxes">' not in html
    assert 'class="govuk-label" for="f-applicant-first_name">First name <span class="required">' \
        '(required)</span>' in html


def test_repeating_groups_have_add_and_remove_buttons_that_work_without_javascript():
    html, _ = _render(SCHEMA, FULL)

    assert 'name="_add" value="children"' in html
    assert ">Add another child</button>" in html
    assert 'name="_remove" value="children.1"' in html
    assert 'name="_add" value="subject.aliases"' in html
    assert 'name="_remove" value="subject.aliases.0"' in html


def test_an_empty_repeat_gets_blank_items_up_to_min_items_and_add_stops_at_max_items():
    # given a form with no children yet, and one at the limit
    fresh = _by_name(render_fields(SCHEMA, None, None))
    full = _by_name(render_fields(SCHEMA, {"children": [{"name": n} for n in "abc"]}, None))

    assert [f.name for f in fresh["children"].children] == ["children.0"]
    assert fresh["children.0"].remove_name == "", "the only item cannot be removed"
    assert [f.name for f in fresh["subject.aliases"].children] == ["subject.aliases.0"]
    assert full["children"].add_name == "" and len(full["children"].children) == 3


def test_a_required_boolean_preselects_nothing_and_an_unanswered_one_is_omitted():
    schema = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
    field = render_fields(schema, {}, None)[0]

    assert [(c.value, c.label, c.selected) for c in field.choices] == [
        ("yes", "Yes", False), ("no", "No", False)]
    assert parse_post(schema, _post({})) == {}
    assert parse_post(schema, _post({"ok": "yes"})) == {"ok": True}


def test_an_array_of_choices_is_a_set_of_checkboxes_that_parses_back():
    schema = {"type": "object", "properties": {"signposting": {
        "type": "array", "uniqueItems": True, "title": "Signposting given",
        "items": {"type": "string", "enum": ["nspcc", "police_101", "other"]}}}}
    data = {"signposting": ["nspcc", "other"]}

    html, browser = _render(schema, data)

    assert '<legend class="govuk-fieldset__legend">Signposting given</legend>' in html
    assert browser.controls["f-signposting"]["type"] == "checkbox"
    assert "checked" in browser.controls["f-signposting-3"]
    assert parse_post(schema, browser.post()) == data


def test_schema_defaults_fill_a_fresh_form_only():
    schema = {"type": "object", "properties": {"n": {"type": "integer", "default": 3}}}

    assert render_fields(schema, None, None)[0].value == "3"
    assert render_fields(schema, {}, None)[0].value == ""


def test_local_refs_render_like_inline_schemas():
    schema = {"type": "object", "$defs": {"person": {"type": "object", "title": "Person",
                                                     "properties": {"name": {"type": "string"}}}},
              "properties": {"applicant": {"$ref": "#/$defs/person", "title": "Applicant"}}}
    fields = render_fields(schema, {"applicant": {"name": "Ann"}}, None)

    assert fields[0].label == "Applicant" and fields[0].children[0].value == "Ann"
    assert parse_post(schema, _post({"applicant.name": "Ann"})) == {"applicant": {"name": "Ann"}}


def test_humanise_turns_keys_into_labels():
    assert humanise("date_of_birth") == "Date of birth"
    assert humanise("dateOfBirth") == "Date of birth"
    assert humanise("GP_name") == "GP name"


# --- parsing ----------------------------------------------------------------------------------


def test_what_the_rendered_form_submits_parses_back_to_the_same_data():
    _, browser = _render(SCHEMA, FULL, ui=UI)

    assert parse_post(SCHEMA, browser.post()) == FULL


def test_a_plain_mapping_of_lists_parses_like_a_querydict():
    post = {"subject.aliases.0": ["Bob"], "children.0.name": "Cat", "subject.age": ["1", "2"]}

    assert parse_post(SCHEMA, post) == {
        "applicant": {}, "subject": {"aliases": ["Bob"], "age": 2}, "children": [{"name": "Cat"}]}


def test_numbers_and_booleans_are_cast_and_uncastable_text_is_kept_for_the_validator():
    data = parse_post(SCHEMA, _post({
        "subject.age": " 41 ", "subject.height_m": "1.75", "children.0.name": "Cat",
        "children.0.age": "seven", "immediate_risk": "yes"}))

    assert data["subject"] == {"age": 41, "height_m": 1.75}
    assert data["children"] == [{"name": "Cat", "age": "seven"}]
    assert data["immediate_risk"] is True
    with pytest.raises(EngineError) as caught:
        validate_form_data(SCHEMA, data)
    errors = errors_by_name(caught.value.field_errors)
    assert errors["children.0.age"] == ["The child's age must be a whole number"]


@pytest.mark.parametrize("raw", ["nan", "inf", "1e999", "1_000", "0x10", "1" * 40])
def test_numbers_python_would_accept_but_json_would_not_stay_raw(raw):
    data = parse_post(SCHEMA, _post({"subject.height_m": raw}))

    assert data["subject"] == {"height_m": raw}


def test_empty_inputs_blank_items_gaps_and_unknown_keys_are_dropped():
    data = parse_post(SCHEMA, _post({
        "channel": "", "applicant.first_name": "  Ann ", "applicant.last_name": "",
        "subject.aliases.0": "", "subject.aliases.3": "Rob", "subject.age": "",
        "children.0.name": "", "children.0.age": "", "children.0._item": "1",
        "children.5.name": "Dan", "children.1.extra": "x", "admin": "true",
        "applicant.is_staff": "yes", "concern": "line one\r\nline two\r\n", "_add": "",
    }))

    assert data == {"applicant": {"first_name": "Ann"}, "subject": {"aliases": ["Rob"]},
                    "children": [{"name": "Dan"}], "concern": "line one\nline two"}


def test_a_required_object_left_blank_stays_so_its_fields_get_the_messages():
    data = parse_post(SCHEMA, _post({"applicant.first_name": ""}))

    assert data == {"applicant": {}}
    with pytest.raises(EngineError) as caught:
        validate_form_data(SCHEMA, data)
    assert errors_by_name(caught.value.field_errors)["applicant.first_name"] == [
        "Enter the applicant's first name"]


def test_a_value_posted_where_a_group_belongs_is_ignored():
    assert parse_post(SCHEMA, _post({"children": "x", "applicant": "y"})) == {"applicant": {}}


# --- add and remove ---------------------------------------------------------------------------


def test_an_ordinary_submit_is_not_a_repeat_action():
    assert apply_repeat_actions(SCHEMA, {}, _post({"children.0.name": "Cat"})) is None


def test_add_another_appends_a_blank_item_and_keeps_what_was_typed():
    _, browser = _render(SCHEMA, {"children": [{"name": "Cat"}], "subject": {}})

    data = apply_repeat_actions(SCHEMA, {}, browser.post(_add="children"))

    assert data is not None
    assert data["children"] == [{"name": "Cat"}, {}]
    assert data["subject"]["aliases"] == [""]
    fields = _by_name(render_fields(SCHEMA, data, None))
    assert [f.label for f in fields["children"].children] == ["Child 1", "Child 2"]


def test_add_another_on_a_list_of_strings_appends_a_blank_input():
    data = apply_repeat_actions(SCHEMA, {}, _post({
        "subject.aliases.0": "Bob", "_add": "subject.aliases"}))

    assert data is not None and data["subject"]["aliases"] == ["Bob", ""]


def test_add_another_stops_at_max_items():
    post = {f"children.{i}.name": n for i, n in enumerate("abc")} | {"_add": "children"}

    data = apply_repeat_actions(SCHEMA, {}, _post(post))

    assert data is not None and len(data["children"]) == 3


def test_remove_drops_the_item_the_button_named_even_after_a_blank_one():
    # given a blank first child (which parse_post would drop, shifting the indices)
    post = _post({"children.0._item": "1", "children.0.name": "", "children.1._item": "1",
                  "children.1.name": "Dan", "children.2._item": "1", "children.2.name": "Eve",
                  "_remove": "children.1"})

    data = apply_repeat_actions(SCHEMA, {}, post)

    assert data is not None and data["children"] == [{}, {"name": "Eve"}]


@pytest.mark.parametrize("action", [{"_add": "applicant"}, {"_add": "nope.0"},
                                    {"_remove": "children"}, {"_remove": "children.x"},
                                    {"_remove": "applicant.first_name.0"}, {"_add": "__class__"}])
def test_a_forged_repeat_target_changes_nothing_but_still_redisplays(action):
    data = apply_repeat_actions(SCHEMA, {}, _post({"children.0.name": "Cat", **action}))

    assert data is not None and data["children"] == [{"name": "Cat"}]


# --- errors -----------------------------------------------------------------------------------


def test_errors_by_name_turns_schema_paths_into_input_names():
    assert errors_by_name({"children/0/age": ["too old"], "": ["general"],
                           "applicant/first_name": "required"}) == {
        "children.0.age": ["too old"], "": ["general"], "applicant.first_name": ["required"]}


def test_errors_sit_next_to_their_fields_and_the_summary_links_to_them():
    errors = errors_by_name({"children/1/name": ["Enter the child's name"],
                             "channel": ["Select how the enquiry came in"],
                             "children/1": ["Something about the whole child."],
                             "": ["The form has a problem."]})
    fields = render_fields(SCHEMA, FULL, errors)
    html = render_to_string("cases/form/fields.html", {"fields": fields})
    summary = render_to_string("cases/form/error_summary.html",
                               {"fields": fields, "errors": errors})
    browser = _Browser()
    browser.feed(html)

    name = browser.controls["f-children-1-name"]
    assert name["aria-invalid"] == "true"
    assert name["aria-describedby"] == "f-children-1-name-error"
    assert ('<p id="f-children-1-name-error" class="govuk-error-message"><span '
            'class="govuk-visually-hidden">Error:</span> Enter the child&#x27;s name</p>') in html
    assert "govuk-form-group--error" in html
    assert '<div class="govuk-error-summary" data-module="govuk-error-summary"' in summary
    assert "<h2" in summary and "There is a problem</h2>" in summary
    assert '<a href="#f-children-1-name">Child 2: Enter the child&#x27;s name</a>' in summary
    assert '<a href="#f-channel">Select how the enquiry came in</a>' in summary
    assert '<a href="#f-children-1">Child 2: Something about the whole child.</a>' in summary
    assert "<li>The form has a problem.</li>" in summary
    for link in error_summary(fields, errors):
        assert link.href is None or link.href[1:] in browser.ids


def test_no_errors_means_no_summary():
    fields = render_fields(SCHEMA, FULL, None)

    assert render_to_string("cases/form/error_summary.html",
                            {"fields": fields, "errors": {}}).strip() == ""


def test_an_error_for_a_field_not_rendered_goes_to_its_nearest_group():
    errors = {"applicant.unknown": ["Additional properties are not allowed"]}
    fields = _by_name(render_fields(SCHEMA, {}, errors))

    assert fields["applicant"].errors == ["Additional properties are not allowed"]


# --- escaping ---------------------------------------------------------------------------------


def test_script_in_values_titles_and_errors_is_escaped():
    script = "<script>alert(1)</script>"
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["notes"]["title"] = script
    schema["properties"]["notes"]["description"] = script
    schema["properties"]["channel"]["x-enumNames"][0] = script
    data = {"notes": script, "applicant": {"first_name": f'"{script}'}}
    errors = {"notes": [script]}

    fields = render_fields(schema, data, errors)
    html = render_to_string("cases/form/fields.html", {"fields": fields})
    html += render_to_string("cases/form/error_summary.html", {"fields": fields, "errors": errors})

    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&quot;&lt;script&gt;' in html


def test_property_names_that_break_dotted_input_names_are_refused():
    with pytest.raises(ValueError, match="cannot be a field name"):
        render_fields({"type": "object", "properties": {"a.b": {"type": "string"}}}, {}, None)


# --- the process's own forms ------------------------------------------------------------------


def _real_forms() -> list[Path]:
    return sorted(FORMS.glob("*.schema.json"))


@pytest.mark.parametrize("path", _real_forms(), ids=lambda p: p.name)
def test_every_process_form_renders_and_a_blank_submit_parses(path):
    schema = json.loads(path.read_text())
    ui_path = path.with_name(path.name.replace(".schema.json", ".ui.json"))
    ui = json.loads(ui_path.read_text()) if ui_path.exists() else None

    html, browser = _render(schema, None, None, ui)
    summary = render_to_string("cases/form/error_summary.html", {"fields": [], "errors": {}})

    assert html.strip() and not summary.strip()
    assert len(browser.ids) == len(set(browser.ids))
    assert set(browser.controls) <= browser.label_for
    assert isinstance(parse_post(schema, browser.post()), dict)


# --- dates and follow-up questions -----------------------------------------------------------

DATED: dict[str, Any] = {
    "type": "object", "required": ["seen"], "properties": {
        "seen": {"type": "string", "format": "date", "title": "Date seen"},
        "risk": {"type": "boolean", "title": "Risk"},
        "details": {"type": "string", "title": "Details"},
        "route": {"type": "string", "title": "Route", "enum": ["a", "b", "c"]},
        "why": {"type": "string", "title": "Why"}},
    "allOf": [
        {"if": {"properties": {"risk": {"const": True}}, "required": ["risk"]},
         "then": {"required": ["details"]}},
        {"if": {"properties": {"route": {"enum": ["b", "c"]}}, "required": ["route"]},
         "then": {"required": ["why"]}}]}


@pytest.mark.parametrize(("day", "month", "year", "parsed"), [
    ("4", "6", "1988", "1988-06-04"), (" 04 ", "06", "1988", "1988-06-04"),
    ("31", "2", "2020", "2020-2-31"), ("", "2", "2020", "2020-2-"), ("", "", "", None),
    ("1", "Feb", "2020", "2020-Feb-1"), ("1", "2", "20", "20-2-1")])
def test_a_date_posts_as_day_month_and_year_and_parses_to_iso_or_stays_as_typed(
        day, month, year, parsed):
    data = parse_post(DATED, _post({"seen.day": day, "seen.month": month, "seen.year": year}))
    assert data.get("seen") == parsed
    if parsed:  # what was typed comes back in the same boxes
        field = render_fields(DATED, data, None)[0]
        assert field.date_parts == tuple(p.strip().lstrip("0") for p in (day, month, year)) \
            or field.date_parts == (day.strip().lstrip("0"), month.strip().lstrip("0"), year)


def test_a_rendered_date_round_trips_through_the_page():
    _, browser = _render(DATED, {"seen": "2026-01-09"})
    assert ("seen.day", "9") in browser.pairs and ("seen.year", "2026") in browser.pairs
    assert parse_post(DATED, browser.post())["seen"] == "2026-01-09"


def test_follow_ups_nest_under_their_answers_and_are_required_there():
    fields = render_fields(DATED, {"risk": True}, None)
    assert [f.name for f in fields] == ["seen", "risk", "route"]
    risk, route = fields[1], fields[2]
    assert [c.value for c in risk.choices if c.conditional] == ["yes"]
    assert risk.choices[0].conditional[0].name == "details"
    assert risk.choices[0].conditional[0].required
    assert [c.value for c in route.choices if c.conditional] == ["b"], "each field once"
    html = render_to_string("cases/form/fields.html", {"fields": fields})
    assert 'class="govuk-radios__conditional" id="f-risk-conditional"' in html  # answered
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden" ' \
        'id="f-route-2-conditional"' in html


def test_a_follow_up_whose_answer_does_not_hold_is_dropped_from_the_post():
    post = _post({"seen": "2026-01-01", "risk": "no", "details": "x", "route": "a", "why": "y"})
    assert parse_post(DATED, post) == {"seen": "2026-01-01", "risk": False, "route": "a"}
    post = _post({"seen": "2026-01-01", "risk": "yes", "details": "x", "route": "c", "why": "y"})
    assert parse_post(DATED, post) == {"seen": "2026-01-01", "risk": True, "details": "x",
                                       "route": "c", "why": "y"}
    with pytest.raises(EngineError) as caught:
        validate_form_data(DATED, parse_post(DATED, _post({"seen": "2026-01-01",
                                                            "risk": "yes"})))
    assert caught.value.field_errors == {"details": ["Enter the details"]}
