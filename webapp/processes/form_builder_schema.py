"""The JSON Schema and UI schema a form saves as, from the form builder's questions.

What the builder does not edit rides along from each question's ``schema`` and ``ui``; a type
change drops the keywords that no longer mean anything; follow-up questions keep the rules
they came from, so an unchanged form saves as it was (``webapp.processes.form_model``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from webapp.processes.form_model import (
    FAMILIES,
    KEEPS,
    LONG_TEXT_OVER,
    RADIO_LIMIT,
    TEXTAREA,
    TYPES,
    FormModelError,
    Json,
    reveal_rule,
    without,
)


def _text(value: Any, limit: int = 2000) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _extras(field: Mapping[str, Any], name: str) -> Json:
    extras = field.get(name)
    return copy.deepcopy(dict(extras)) if isinstance(extras, Mapping) else {}


def _drop_other_families(kind: str, schema: Json, ui: Json) -> None:
    """A question whose type changed keeps only what still means something for it."""
    keep = KEEPS.get(kind, tuple(FAMILIES))
    for family, keys in FAMILIES.items():
        if family not in keep:
            for key in keys:
                schema.pop(key, None)
                ui.pop(key, None)


def _option_values(field: Mapping[str, Any], where: str) -> list[tuple[Any, str]]:
    options = field.get("options")
    if not isinstance(options, list) or not options:
        raise FormModelError(f"{where}: add at least one option.")
    found: list[tuple[Any, str]] = []
    for n, option in enumerate(options, start=1):
        value = option.get("value") if isinstance(option, Mapping) else None
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            raise FormModelError(f"{where}: give option {n} a value to store.")
        if any(value == v and type(value) is type(v) for v, _ in found):
            raise FormModelError(f"{where}: two options store the same value "
                                 f"‘{value}’; make each one different.")
        found.append((value, _text(option.get("label"), 300)))
    return found


def _write_options(target: Json, field: Mapping[str, Any], where: str) -> None:
    options = _option_values(field, where)
    style = field.get("option_style") or "oneOf"
    if target.get("type") == "integer":
        try:
            options = [(int(v), label) for v, label in options]
        except (TypeError, ValueError) as exc:
            raise FormModelError(f"{where}: the values to store must be whole numbers.") from exc
    if style == "oneOf":
        target["oneOf"] = [{"const": v, "title": label or str(v)} for v, label in options]
        return
    target["enum"] = [v for v, _ in options]
    if style != "enum" or any(label for _, label in options):
        names = "enumNames" if style == "enum" else style
        target[names] = [label or str(v) for v, label in options]


def _where(field: Mapping[str, Any], trail: str, number: int = 0) -> str:
    """How a message names a question: its words, else its place (``Question 5``)."""
    title = _text(field.get("title"), 200) or _text(field.get("key"), 80)
    return f"{trail}‘{title}’" if title else f"{trail}Question {number or ''}".rstrip()


def _scalar(kind: str, field: Mapping[str, Any], schema: Json, ui: Json, where: str) -> None:
    if kind in ("text", "textarea", "date"):
        schema["type"] = "string"
    elif kind == "yesno":
        schema["type"] = "boolean"
    elif kind in ("integer", "number"):
        schema["type"] = kind
    if kind == "date":
        schema["format"] = "date"
    elif kind == "textarea":
        widget = field.get("widget") if isinstance(field.get("widget"), Mapping) else {}
        if widget.get("schema"):
            schema["x-widget"] = TEXTAREA
        length = schema.get("maxLength")
        long = isinstance(length, int) and length > LONG_TEXT_OVER
        if widget.get("ui") or not (widget.get("schema") or long):
            ui["ui:widget"] = TEXTAREA
    elif kind == "text":
        length = schema.get("maxLength")
        if isinstance(length, int) and length > LONG_TEXT_OVER:
            schema["maxLength"] = LONG_TEXT_OVER  # longer answers are "long text"
    elif kind == "choice":
        if "type" not in schema and "option_style" not in field:
            schema["type"] = "string"
        _write_options(schema, field, where)


def _array(kind: str, field: Mapping[str, Any], schema: Json, ui: Json, where: str) -> None:
    schema["type"] = "array"
    items = _extras(field, "item_schema")
    item_ui = _extras(field, "item_ui")
    title = _text(field.get("item_title"), 200)
    if title:
        items["title"] = title
    if kind == "repeat":
        items = {**({"title": title} if title else {}), "type": "object", **items}
        _write_object(field, items, item_ui, f"{where} › ")
        if not items["properties"]:
            raise FormModelError(f"{where}: add at least one question to the repeating group.")
    elif kind == "choices":
        items.setdefault("type", "string")
        _write_options(items, field, where)
    else:
        items = {**({"title": title} if title else {}), "type": "string", **items}
    schema["items"] = items
    if item_ui:
        ui["items"] = item_ui


def field_schema(field: Mapping[str, Any], trail: str = "", number: int = 0) -> tuple[
        Json, Json]:
    """The schema node and UI schema node of one question of the builder."""
    kind = field.get("type")
    where = _where(field, trail, number)
    if kind not in (*TYPES, "other"):
        raise FormModelError(f"{where}: choose what kind of answer it takes.")
    schema, ui = _extras(field, "schema"), _extras(field, "ui")
    if kind != "other":
        _drop_other_families(str(kind), schema, ui)
    head: Json = {}
    for key, name in (("title", "title"), ("hint", "description")):
        value = _text(field.get(key))
        if value:
            head[name] = value
    if kind != "other" and not head.get("title"):
        raise FormModelError(f"{where}: write the question.")
    schema = {**head, **schema}
    if kind == "group":
        schema["type"] = "object"
        _write_object(field, schema, ui, f"{where} › ")
    elif kind in ("repeat", "choices", "list"):
        _array(str(kind), field, schema, ui, where)
    elif kind != "other":
        _scalar(str(kind), field, schema, ui, where)
    return schema, ui


def _key(field: Mapping[str, Any], trail: str, seen: set[str], number: int) -> str:
    key = _text(field.get("key"), 80)
    where = _where(field, trail, number)
    if field.get("type") != "other" and not _text(field.get("title")):
        raise FormModelError(f"{where}: write the question.")
    if not key or not (key[0].isalpha() and key.replace("_", "").isalnum() and key.isascii()):
        raise FormModelError(f"{where}: the name it is stored as must start with a letter and "
                             "use only letters, digits and underscores, like date_of_birth.")
    if key in seen:
        raise FormModelError(f"{where}: another question in the same part of the form is "
                             f"stored as ‘{key}’; give each one a different name.")
    seen.add(key)
    return key


def _write_object(model: Mapping[str, Any], schema: Json, ui: Json, trail: str) -> None:
    """Questions, required answers, follow-ups and order of an object schema, in place."""
    fields = model.get("fields")
    if not isinstance(fields, list):
        raise FormModelError("The form has no list of questions.")
    props: Json = {}
    required: list[str] = []
    wanted: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for number, field in enumerate(fields, start=1):
        if not isinstance(field, Mapping):
            raise FormModelError("A question of the form is not one the builder can read.")
        key = _key(field, trail, seen, number)
        props[key], sub_ui = field_schema(field, trail, number)
        if sub_ui:
            ui[key] = sub_ui
        when = field.get("show_when")
        if isinstance(when, Mapping) and when.get("field"):
            wanted.setdefault(_condition(when), []).append(key)
        elif field.get("required"):
            required.append(key)
    wanted = _check_follow_ups(fields, props, wanted, trail)
    schema["properties"] = props
    if required:
        schema["required"] = required
    rules = _rules(model.get("rules"), props, set(required), wanted)
    if rules:
        schema["allOf"] = rules
    if model.get("ordered", True):
        ui["ui:order"] = list(props)


_NONE = object()


def _condition(when: Mapping[str, Any]) -> tuple[str, str]:
    values = when.get("values")
    values = values if isinstance(values, list) and values else [when.get("value")]
    return str(when["field"]), json.dumps(values)


def _check_follow_ups(fields: list[Any], props: Json, wanted: Mapping[tuple[str, str], Any],
                      trail: str) -> dict[tuple[str, str], list[str]]:
    """Refuse a follow-up the officer's form cannot show; its answer values as stored (an
    option typed as "2" of a whole-number question is 2)."""
    by_key = {f.get("key"): f for f in fields}
    typed: dict[tuple[str, str], list[str]] = {}
    for (answer, values), shown in wanted.items():
        controller = by_key.get(answer)
        where = _where(by_key[shown[0]], trail)
        if controller is None or answer in shown:
            raise FormModelError(f"{where}: a follow-up question must follow another question "
                                 "in the same part of the form.")
        if controller.get("type") not in ("yesno", "choice"):
            raise FormModelError(f"{where}: it can only follow a yes/no or choose-one question.")
        if _drop_down(controller):
            raise FormModelError(
                f"{where}: {_where(controller, '')} is shown as a drop-down list (more than "
                f"{RADIO_LIMIT} options), which cannot show a follow-up question under an "
                "answer. Use fewer options, or ask the follow-up question always.")
        if controller.get("show_when"):
            raise FormModelError(f"{where}: it cannot follow a question that is itself a "
                                 "follow-up; make it follow the first question.")
        node = props[answer]
        stored = ([True, False] if controller.get("type") == "yesno" else
                  [o["const"] for o in node["oneOf"]] if "oneOf" in node else node["enum"])
        matched = [next((a for a in stored if a == v and type(a) is type(v) or not isinstance(
            a, bool) and str(a) == str(v)), _NONE) for v in json.loads(values)]
        if _NONE in matched:
            raise FormModelError(f"{where}: choose one of the answers of "
                                 f"{_where(controller, '')} to show it after.")
        typed.setdefault((answer, json.dumps(matched)), []).extend(shown)
    return typed


def _drop_down(field: Mapping[str, Any]) -> bool:
    """Whether the renderer shows a choose-one question as a <select> (as schema_forms does)."""
    ui, schema = _extras(field, "ui"), _extras(field, "schema")
    widget = ui.get("ui:widget") or schema.get("x-widget") or ""
    many = len(field.get("options") or ()) > RADIO_LIMIT
    return field.get("type") == "choice" and (widget == "select" or (many and widget != "radio"))


def _rules(original: Any, props: Json, required: set[str],
           wanted: dict[tuple[str, str], list[str]]) -> list[Any]:
    """The ``allOf`` list: the rules there were, with their follow-ups as the builder now has
    them (in their old order), then a rule for each new condition."""
    placed: set[str] = set()
    rules: list[Any] = []
    for entry in original if isinstance(original, list) else []:
        found = reveal_rule(entry, props, required)
        if found is None:
            rules.append(copy.deepcopy(entry))
            continue
        then = entry["then"]
        mine = [f for f in wanted.get((found[0], json.dumps(found[1])), []) if f not in placed]
        placed.update(mine)
        kept = [f for f in then.get("required") or () if f not in found[2] or f in mine]
        listed = [*kept, *(f for f in mine if f not in kept)]
        if not listed and set(then) <= {"required"}:
            continue  # the follow-ups of this rule were all removed
        rule = copy.deepcopy(dict(entry))
        rule["then"] = {**then, "required": listed} if listed or not then.get(
            "required") and "required" in then else without(then, ("required",))
        rules.append(rule)
    for (answer, values), shown in wanted.items():
        rest = [f for f in shown if f not in placed]
        if rest:
            parsed = json.loads(values)
            test = {"const": parsed[0]} if len(parsed) == 1 else {"enum": parsed}
            rules.append({"if": {"properties": {answer: test}, "required": [answer]},
                          "then": {"required": rest}})
    return rules


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def form_schema(model: Mapping[str, Any]) -> tuple[Json, Json]:
    """The JSON Schema and UI schema the builder's form saves as."""
    if not isinstance(model, Mapping):
        raise FormModelError("The form could not be read.")
    title = _text(model.get("title"), 300)
    if not title:
        raise FormModelError("Give the form a title.")
    extras = _extras(model, "schema")
    extras.setdefault("$schema", SCHEMA_DIALECT)
    schema: Json = {**{k: extras.pop(k) for k in ("$schema", "$id") if k in extras},
                    "title": title}
    description = _text(model.get("description"))
    if description:
        schema["description"] = description
    schema.update({"type": "object", **extras})
    ui = _extras(model, "ui")
    _write_object(model, schema, ui, "")
    return schema, ui
