"""Validation messages in the words of the form, as the GOV.UK Design System writes them.

A message is built from the failing keyword and the field's own title (and the title of the
group it sits in): "Enter the applicant's first name", "Select how the enquiry came in", "The
applicant's date of birth must be a real date". A UI schema may replace any of them per keyword
with ``"ui:errorMessages": {"required": "Enter the applicant's postcode, like AL10 9AB"}``.
Nothing here quotes jsonschema's own text, which names values and codes people do not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Path = Sequence[str | int]
ERROR_MESSAGES = "ui:errorMessages"
# Keywords a UI schema may word itself: JSON Schema's, and the date rules of engine.form_rules.
MESSAGE_KEYWORDS = frozenset({
    "required", "type", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "const", "oneOf", "anyOf",
    "minItems", "maxItems", "uniqueItems", "notAfter", "notBefore", "ageUnder", "ageAtLeast"})
_DETERMINERS = ("the ", "a ", "an ", "how ", "what ", "why ", "when ", "who ", "where ",
                "which ", "whether ", "any ", "your ", "their ")
_MAX_OVERRIDE = 300
_DATE_WORDS = ("date", "birth", "day")


def resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref``s (a bounded number of hops) to the schema they name."""
    for _ in range(20):
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node
        target: Any = root
        for part in filter(None, ref[1:].split("/")):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(
                target, Mapping) else None
        node = {**(target if isinstance(target, Mapping) else {}),
                **{k: v for k, v in node.items() if k != "$ref"}}
    return {}


def schema_at(root: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    """The schema of the value at ``path`` (properties and items only), or {}."""
    node = resolve(root, root)
    for part in path:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()
                                      and "items" in node and "properties" not in node):
            node = resolve(node.get("items"), root)
        else:
            props = node.get("properties")
            node = resolve(props.get(part), root) if isinstance(props, Mapping) else {}
    return node


def ui_at(ui: Any, path: Path) -> Mapping[str, Any]:
    """The UI schema node for the value at ``path`` (array items share ``items``), or {}."""
    node = ui if isinstance(ui, Mapping) else {}
    for part in path:
        key = "items" if isinstance(part, int) or str(part).isdigit() else part
        node = node.get(key) if isinstance(node.get(key), Mapping) else {}
    return node


def _lower(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym ('GP', 'DVDS')."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _title(node: Mapping[str, Any], path: Path) -> str:
    title = node.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    last = next((str(p) for p in reversed(path) if not str(p).isdigit()), "answer")
    return last.replace("_", " ").capitalize()


def phrase(root: Mapping[str, Any], path: Path) -> str:
    """'the applicant's date of birth', 'how the enquiry came in', 'the child's first name';
    a date titled without the word ('Decided on') is 'the ‘Decided on’ date'."""
    node = schema_at(root, path)
    title = _title(node, path)
    if node.get("format") == "date" and not any(w in title.lower() for w in _DATE_WORDS):
        return f"the ‘{title}’ date"
    own = _lower(title)
    parent_path = list(path[:-1])
    parent = schema_at(root, parent_path) if parent_path else {}
    group = parent.get("title") if isinstance(parent.get("title"), str) else ""
    owned = "'s " in own or own.startswith(_DETERMINERS)  # "applicant's relationship to..."
    if group and not owned and len(group.split()) <= 3:  # noqa: PLR2004 (a short group name reads as an owner)
        owner = _lower(group)
        owner = owner if owner.startswith(_DETERMINERS) else f"the {owner}"
        return f"{owner}'s {own}"
    return own if own.startswith(_DETERMINERS) or own[:1].isupper() else f"the {own}"


def subject(root: Mapping[str, Any], path: Path) -> str:
    text = phrase(root, path)
    return text[:1].upper() + text[1:]


def override(ui: Any, path: Path, keyword: str) -> str | None:
    """The policy lead's own words for ``keyword`` on the field at ``path``, if given."""
    own = ui_at(ui, path).get(ERROR_MESSAGES)
    text = own.get(keyword) if isinstance(own, Mapping) else None
    return text.strip()[:_MAX_OVERRIDE] if isinstance(text, str) and text.strip() else None


def _kind(node: Mapping[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared == "array" or "items" in node:
        return "choices" if "enum" in resolve(node.get("items"), {}) or "oneOf" in resolve(
            node.get("items"), {}) else "list"
    if declared == "boolean":
        return "boolean"
    if "enum" in node or "oneOf" in node or "anyOf" in node or "const" in node:
        return "choice"
    if declared == "object" or "properties" in node:
        return "group"
    return str(declared or "string")


def _example(node: Mapping[str, Any]) -> str:
    examples = node.get("examples")
    first = examples[0] if isinstance(examples, list) and examples else None
    return f", like {first}" if isinstance(first, str | int) and not isinstance(
        first, bool) else ""


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _choice_label(node: Mapping[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    for option in node.get("oneOf") or ():
        if isinstance(option, Mapping) and option.get("const") == value and option.get("title"):
            return str(option["title"])
    enum, names = node.get("enum"), node.get("enumNames", node.get("x-enumNames"))
    if isinstance(enum, list) and isinstance(names, list) and value in enum and len(
            names) == len(enum):
        return str(names[enum.index(value)])
    return str(value).replace("_", " ").capitalize()


def _quoted(node: Mapping[str, Any], path: Path) -> str:
    return f"‘{_title(node, path)}’"


def missing(root: Mapping[str, Any], path: Path) -> str:
    """The message for a required answer left out."""
    node = schema_at(root, path)
    kind, what = _kind(node), phrase(root, path)
    if kind == "boolean":
        return f"Select yes or no for {_quoted(node, path)}"
    if kind in ("choice", "choices"):
        return f"Select {what}"
    if kind == "list":
        item = resolve(node.get("items"), root)
        noun = _lower(str(item.get("title") or ""))
        return f"Add at least one {noun}" if noun else f"Add at least one entry to {what}"
    if kind == "group":
        return f"Complete {what}"
    return f"Enter {what}{_example(node)}"


def _date_parts(value: Any) -> str:
    parts = str(value).split("-")
    if len(parts) != 3:  # noqa: PLR2004 (year-month-day)
        return "must be a real date"
    gaps = [name for name, part in zip(("year", "month", "day"), parts, strict=True)
            if not part.strip()]
    gaps.reverse()  # day, month, year: the order people read them
    if not gaps:
        return "must be a real date"
    listed = gaps[0] if len(gaps) == 1 else ", ".join(gaps[:-1]) + " and " + gaps[-1]
    return f"must include a {listed}"


def keyword_message(root: Mapping[str, Any], path: Path, keyword: str, expected: Any,
                    instance: Any) -> str:
    """The message for one failed keyword on the value at ``path``."""
    node = schema_at(root, path)
    who, what = subject(root, path), phrase(root, path)
    words: dict[str, Any] = {
        "maxLength": lambda: f"{who} must be {_number(expected)} characters or fewer",
        "minLength": lambda: (f"Enter {what}" if expected == 1 else
                              f"{who} must be {_number(expected)} characters or more"),
        "minimum": lambda: f"{who} must be {_number(expected)} or more",
        "maximum": lambda: f"{who} must be {_number(expected)} or less",
        "exclusiveMinimum": lambda: f"{who} must be more than {_number(expected)}",
        "exclusiveMaximum": lambda: f"{who} must be less than {_number(expected)}",
        "multipleOf": lambda: f"{who} must be a multiple of {_number(expected)}",
        "pattern": lambda: (f"Enter {what}{_example(node)}" if _example(node) else
                            f"Enter {what} in the right format"),
        "minItems": lambda: (missing(root, path) if expected == 1 else
                             f"{who} must have at least {_number(expected)} entries"),
        "maxItems": lambda: f"{who} must have {_number(expected)} entries or fewer",
        "uniqueItems": lambda: f"{who} must not list the same answer twice",
        "const": lambda: (f"Select ‘{_choice_label(node, expected)}’ for "
                          f"{_quoted(node, path) if isinstance(expected, bool) else what}, "
                          "or change your other answers"),
        "additionalProperties": lambda: "This form does not ask for some of the answers sent",
    }
    if keyword in words:
        return str(words[keyword]())
    return _special(root, path, keyword, expected, instance)


def _special(root: Mapping[str, Any], path: Path, keyword: str, expected: Any,
             instance: Any) -> str:
    """Messages for ``type``, ``format`` and choices, whose words depend on what was expected."""
    node = schema_at(root, path)
    who, what, kind = subject(root, path), phrase(root, path), _kind(node)
    wanted = expected[0] if isinstance(expected, list) and expected else expected
    if keyword == "format" and expected == "date":
        text = f"{who} {_date_parts(instance)}"
    elif keyword == "format":
        like = ", like name@example.com" if expected == "email" else ""
        text = f"Enter {what} in the right format{like}"
    elif keyword == "type" and wanted in ("integer", "number"):
        text = f"{who} must be a {'whole number' if wanted == 'integer' else 'number'}"
    elif (keyword == "type" and wanted == "boolean") or (
            keyword in ("enum", "oneOf", "anyOf") and kind == "boolean"):
        text = missing(root, path)
    elif keyword in ("enum", "oneOf", "anyOf") and kind in ("choice", "choices"):
        text = f"Choose one of the answers given for {what}"
    else:
        text = f"Check {what}"
    return text
