"""The form builder's model of a form: a JSON Schema and its UI schema as a list of questions.

A policy lead edits questions (type, question, hint, required, options, follow-ups, repeating
groups); everything else a form says (lengths, patterns, date rules, messages, markers) rides
along untouched in each question's ``schema`` and ``ui``, so a form loaded and saved unchanged
is the form it was. Follow-up questions use the convention the officer's form renders
(``allOf: [{"if": {answer}, "then": {"required": [follow-ups]}}]``, see docs/forms.md).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]
# Keys the builder edits on a question's schema node; the rest is kept as it was.
_COMMON = ("title", "description")
_OPTION_KEYS = ("enum", "enumNames", "x-enumNames", "oneOf")
TEXTAREA = "textarea"
LONG_TEXT_OVER = 300  # as the renderer: a longer maxLength is a textarea
RADIO_LIMIT = 5  # as the renderer: more choices are a drop-down list
# Keywords that only mean something for one kind of answer: dropped when the type changes.
FAMILIES: dict[str, tuple[str, ...]] = {
    "string": ("maxLength", "minLength", "pattern", "format", "x-widget"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    "array": ("items", "minItems", "maxItems", "uniqueItems", "contains", "prefixItems"),
    "object": ("properties", "required", "additionalProperties", "allOf", "patternProperties"),
    "choice": _OPTION_KEYS,
    "date-ui": ("ui:notAfter", "ui:notBefore", "ui:ageUnder", "ui:ageAtLeast", "ui:default"),
}
KEEPS: dict[str, tuple[str, ...]] = {
    "text": ("string",), "textarea": ("string",), "integer": ("number",), "number": ("number",),
    "date": ("string", "date-ui"), "yesno": (), "choice": ("choice", "string", "number"),
    "choices": ("array",), "group": ("object",), "repeat": ("array",), "list": ("array",),
}
TYPES = tuple(KEEPS)


class FormModelError(ValueError):
    """The builder's form cannot become a schema; ``message`` says what to change."""


# --- schema → model -------------------------------------------------------------------------


def without(node: Mapping[str, Any], keys: tuple[str, ...]) -> Json:
    return {k: copy.deepcopy(v) for k, v in node.items() if k not in keys}


def _options(node: Mapping[str, Any]) -> tuple[str, list[Json]] | None:
    """The options and how they are written, or None if the builder cannot edit them."""
    enum, one_of = node.get("enum"), node.get("oneOf")
    if isinstance(enum, list) and one_of is None:
        for style in ("enumNames", "x-enumNames"):
            names = node.get(style)
            if isinstance(names, list) and len(names) == len(enum):
                return style, [{"value": v, "label": str(n)} for v, n in zip(enum, names,
                                                                            strict=True)]
        return ("enum", [{"value": v, "label": ""} for v in enum]) if not any(
            k in node for k in ("enumNames", "x-enumNames")) else None
    if isinstance(one_of, list) and one_of and enum is None and all(
            isinstance(o, Mapping) and "const" in o and set(o) <= {"const", "title"}
            for o in one_of):
        return "oneOf", [{"value": o["const"], "label": str(o.get("title", ""))} for o in one_of]
    return None


def _text_kind(node: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    wide = node.get("x-widget") == TEXTAREA or ui.get("ui:widget") == TEXTAREA
    length = node.get("maxLength")
    long = isinstance(length, int) and not isinstance(length, bool) and length > LONG_TEXT_OVER
    return "textarea" if wide or long else "text"


def _array_kind(items: Any) -> str:
    if not isinstance(items, Mapping) or "$ref" in items:
        return "other"
    if items.get("type") == "object" and isinstance(items.get("properties"), Mapping):
        return "repeat"
    if _options(items) is not None:
        return "choices"
    return "list" if items.get("type") == "string" and not any(
        k in items for k in _OPTION_KEYS) else "other"


def _kind(node: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    """The builder's type for a schema node; "other" when it cannot edit it without loss."""
    declared = node.get("type")
    if "$ref" in node or not isinstance(declared, str):
        return "other"
    if declared == "object":
        return "group" if isinstance(node.get("properties"), Mapping) else "other"
    if declared == "array":
        return _array_kind(node.get("items"))
    return _scalar_kind(declared, node, ui)


def _scalar_kind(declared: str, node: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    if any(k in node for k in _OPTION_KEYS):
        return "choice" if _options(node) is not None else "other"
    if declared == "boolean":
        return "yesno"
    if declared in ("integer", "number"):
        return declared
    if declared == "string":
        return "date" if node.get("format") == "date" else _text_kind(node, ui)
    return "other"


def reveal_rule(entry: Any, props: Mapping[str, Any], required: set[str]) -> tuple[
        str, list[Any], list[str]] | None:
    """(answer, values, follow-ups) of an ``allOf`` entry, read as the renderer reads it."""
    if not isinstance(entry, Mapping):
        return None
    test, then = entry.get("if"), entry.get("then")
    if not (isinstance(test, Mapping) and isinstance(then, Mapping)):
        return None
    tested = test.get("properties")
    if not (isinstance(tested, Mapping) and len(tested) == 1):
        return None
    (key, rule), = tested.items()
    rule = rule if isinstance(rule, Mapping) else {}
    values = ([rule["const"]] if "const" in rule else
              list(rule["enum"]) if isinstance(rule.get("enum"), list) else [])
    shown = [f for f in then.get("required") or () if isinstance(f, str) and f in props
             and f != key and f not in required]
    return (key, values, shown) if values and key in props else None


def _object(node: Mapping[str, Any], ui: Mapping[str, Any]) -> Json:
    """The questions of an object schema (the form, a group, a repeating group's item)."""
    props = node.get("properties") if isinstance(node.get("properties"), Mapping) else {}
    listed = node.get("required") if isinstance(node.get("required"), list) else []
    required = {r for r in listed if isinstance(r, str)}
    rules = node.get("allOf") if isinstance(node.get("allOf"), list) else []
    shown_when: dict[str, Json] = {}
    for entry in rules:
        found = reveal_rule(entry, props, required)
        for key in found[2] if found else ():
            shown_when.setdefault(key, {"field": found[0], "values": found[1]})
    order = ui.get("ui:order")
    first = [k for k in order if k in props] if isinstance(order, list) else []
    fields = []
    for key in dict.fromkeys([*first, *props]):
        sub_ui = ui.get(key) if isinstance(ui.get(key), Mapping) else {}
        field = field_model(key, props[key], sub_ui)
        field["required"] = key in required or key in shown_when
        field["show_when"] = shown_when.get(key)
        fields.append(field)
    return {"fields": fields, "rules": copy.deepcopy(rules), "ordered": isinstance(order, list)}


def field_model(key: str, node: Any, ui: Mapping[str, Any]) -> Json:
    """One question of the builder from its schema node and UI schema node."""
    node = node if isinstance(node, Mapping) else {}
    kind = _kind(node, ui)
    field: Json = {"key": key, "type": kind, "title": str(node.get("title", "")),
                   "hint": str(node.get("description", ""))}
    managed: tuple[str, ...] = (*_COMMON, "type")
    ui_managed: tuple[str, ...] = ()
    if kind == "other":
        managed = _COMMON
    elif kind == "choice":
        field["option_style"], field["options"] = _options(node)  # type: ignore[misc]
        managed = (*managed, *_OPTION_KEYS)
        managed = tuple(k for k in managed if k != "type")  # an untyped enum stays untyped
    elif kind in ("text", "textarea"):
        ui_managed = ("ui:widget",) if ui.get("ui:widget") in (TEXTAREA, None) else ()
        managed = (*managed, "x-widget") if node.get("x-widget") in (TEXTAREA, None) else managed
        field["widget"] = {"schema": "x-widget" in node, "ui": "ui:widget" in ui}
    elif kind == "date":
        managed = (*managed, "format")
    elif kind in ("group", "repeat", "choices", "list"):
        managed, ui_managed = _container(field, node, ui, managed)
    field["schema"] = without(node, managed)
    field["ui"] = without(ui, ui_managed)
    return field


def _container(field: Json, node: Mapping[str, Any], ui: Mapping[str, Any],
               managed: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    kind = field["type"]
    if kind == "group":
        field.update(_object(node, ui))
        child_keys = tuple(node.get("properties") or ())
        return (*managed, "properties", "required", "allOf"), ("ui:order", *child_keys)
    items = node["items"]
    item_ui = ui.get("items") if isinstance(ui.get("items"), Mapping) else {}
    field["item_title"] = str(items.get("title", ""))
    if kind == "repeat":
        field.update(_object(items, item_ui))
        child_keys = tuple(items.get("properties") or ())
        item_keys = ("title", "type", "properties", "required", "allOf")
        field["item_schema"] = without(items, item_keys)
        field["item_ui"] = without(item_ui, ("ui:order", *child_keys))
    elif kind == "choices":
        field["option_style"], field["options"] = _options(items)  # type: ignore[misc]
        field["item_schema"] = without(items, ("title", *_OPTION_KEYS))
        field["item_ui"] = copy.deepcopy(item_ui)
    else:
        field["item_schema"] = without(items, ("title", "type"))
        field["item_ui"] = copy.deepcopy(item_ui)
    return (*managed, "items"), ("items",)


def form_model(schema: Mapping[str, Any], ui: Mapping[str, Any] | None) -> Json:
    """The builder's model of a whole form."""
    ui = ui if isinstance(ui, Mapping) else {}
    model = {"title": str(schema.get("title", "")), "description": str(
        schema.get("description", "")), **_object(schema, ui)}
    keys = tuple(schema.get("properties") or ())
    model["schema"] = without(schema, ("title", "description", "type", "properties",
                                        "required", "allOf"))
    model["ui"] = without(ui, ("ui:order", *keys))
    return model
