"""Date rules a form's UI schema declares on its date fields, checked on every submission.

The vocabulary (documented in docs/forms.md), on a field with ``"format": "date"``:

- ``"ui:notAfter": "today"`` or ``"<field>"``: the date is on or before today / that field;
- ``"ui:notBefore": "today"`` or ``"<field>"``: the date is on or after today / that field;
- ``"ui:ageUnder": 18``: a date of birth less than 18 years before today (a child);
- ``"ui:ageAtLeast": 16``: a date of birth at least 16 years before today;
- ``"ui:default": "today"``: a fresh form shows today's date (rendering only).

``<field>`` names a date field of the same group, else a top-level one. Declarations are checked
by the lint (``ui_problems``) with the file and line; ``"ui:errorMessages"`` may word any rule.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.form_messages import (
    ERROR_MESSAGES,
    MESSAGE_KEYWORDS,
    Path,
    override,
    phrase,
    resolve,
    schema_at,
    subject,
)

TODAY = "today"
DATE_RULES = ("ui:notAfter", "ui:notBefore")
AGE_RULES = ("ui:ageUnder", "ui:ageAtLeast")
DEFAULT = "ui:default"
_ZONE = ZoneInfo("Europe/London")
_MAX_AGE = 150


def today() -> date:
    """Today where the officers work."""
    return datetime.now(_ZONE).date()


def _as_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:  # noqa: PLR2004 (YYYY-MM-DD)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _is_date(node: Mapping[str, Any]) -> bool:
    return node.get("format") == "date"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _sibling(root: Mapping[str, Any], path: Path, name: str) -> Path | None:
    """Where a rule's ``<field>`` points: a date field of the same group, else a top-level one."""
    for candidate in ((*path[:-1], name), (name,)):
        if _is_date(schema_at(root, candidate)):
            return candidate
    return None


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _dates(schema: Any, ui: Any, data: Any, root: Mapping[str, Any],
           path: Path = ()) -> Iterator[tuple[Path, date, Mapping[str, Any]]]:
    """Every answered, valid date in ``data`` whose UI node declares a rule."""
    node = resolve(schema, root)
    ui = ui if isinstance(ui, Mapping) else {}
    if isinstance(data, Mapping) and isinstance(node.get("properties"), Mapping):
        for key, sub in node["properties"].items():
            if key in data:
                yield from _dates(sub, ui.get(key), data[key], root, (*path, key))
    elif isinstance(data, list) and "items" in node:
        for i, item in enumerate(data):
            yield from _dates(node["items"], ui.get("items"), item, root, (*path, i))
    elif _is_date(node) and any(k in ui for k in (*DATE_RULES, *AGE_RULES)):
        day = _as_date(data)
        if day is not None:
            yield path, day, ui


def _broken(root: Mapping[str, Any], data: Any, path: Path, day: date, *,
            ui: Mapping[str, Any], now: date) -> Iterator[tuple[str, str]]:
    who = subject(root, path)
    for rule in DATE_RULES:
        target = ui.get(rule)
        if not isinstance(target, str):
            continue
        after = rule == "ui:notBefore"
        if target == TODAY:
            if (day < now) if after else (day > now):
                yield rule, f"{who} must be today or in the {'future' if after else 'past'}"
            continue
        other_path = _sibling(root, path, target)
        other = _as_date(_value_at(data, other_path)) if other_path else None
        if other is not None and ((day < other) if after else (day > other)):
            side = "after" if after else "before"
            yield rule, f"{who} must be the same as or {side} {phrase(root, other_path or ())}"
    group = schema_at(root, path[:-1]).get("title") if path[:-1] else None
    person = f"The {group[:1].lower() + group[1:]}" if isinstance(group, str) and group else who
    under, at_least = (ui.get(r) for r in AGE_RULES)
    if isinstance(under, int) and not day > _years_before(now, under):
        yield "ui:ageUnder", f"{person} must be under {under} years old"
    if isinstance(at_least, int) and day > _years_before(now, at_least):
        yield "ui:ageAtLeast", f"{person} must be at least {at_least} years old"


def rule_errors(schema: Mapping[str, Any], ui: Any, data: Mapping[str, Any],
                skip: Mapping[str, Any], now: date | None = None) -> dict[str, list[str]]:
    """Messages by jsonschema-style path for the date rules ``data`` breaks (fields already
    in ``skip``, i.e. with a schema error, are left alone)."""
    now = now or today()
    errors: dict[str, list[str]] = {}
    for path, day, node in _dates(schema, ui, data, schema):
        where = "/".join(str(p) for p in path)
        if where in skip:
            continue
        for rule, message in _broken(schema, data, path, day, ui=node, now=now):
            own = override(ui, path, rule.removeprefix("ui:"))
            errors.setdefault(where, []).append(own or message)
            break  # one message per field: the first rule it breaks
    return errors


# --- the lint -------------------------------------------------------------------------------


def ui_problems(ui: Any, schema: Mapping[str, Any] | None, path: Path = (),
                at: Path = ()) -> Iterator[tuple[Path, str]]:
    """Broken rule declarations in a UI schema, each with its JSON path in the UI schema
    (``path`` is where the node sits in the data, ``at`` where it sits in the UI document)."""
    if not isinstance(ui, Mapping) or schema is None:
        return
    node = schema_at(schema, path)
    for key, value in ui.items():
        here = (*at, key)
        if key in (*DATE_RULES, *AGE_RULES, DEFAULT) and not _is_date(node):
            yield here, f"'{key}' is declared on a field that is not a date (format 'date')"
        elif key in DATE_RULES and (not isinstance(value, str) or (
                value != TODAY and _sibling(schema, path, value) is None)):
            yield here, (f"'{key}' must be 'today' or the name of a date field of the same "
                         f"group or the top level, not {value!r}")
        elif key in AGE_RULES and not (isinstance(value, int) and not isinstance(value, bool)
                                       and 0 < value <= _MAX_AGE):
            yield here, f"'{key}' must be a whole number of years from 1 to {_MAX_AGE}"
        elif key == DEFAULT and value != TODAY:
            yield here, f"'{key}' may only be 'today', not {value!r}"
        elif key == ERROR_MESSAGES:
            yield from _message_problems(value, here)
        elif not key.startswith("ui:") and isinstance(value, Mapping):
            inner = (*path, 0) if key == "items" else (*path, key)
            yield from ui_problems(value, schema, inner, here)


def _message_problems(value: Any, here: Path) -> Iterator[tuple[Path, str]]:
    if not isinstance(value, Mapping):
        yield here, f"'{ERROR_MESSAGES}' must map keywords to messages"
        return
    for keyword, text in value.items():
        if keyword not in MESSAGE_KEYWORDS:
            yield (*here, keyword), f"'{keyword}' is not a keyword a message can be given for"
        elif not isinstance(text, str) or not text.strip() or len(text) > 300:  # noqa: PLR2004
            yield (*here, keyword), f"the message for '{keyword}' must be 1 to 300 characters"
