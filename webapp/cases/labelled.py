"""Recorded answers as people read them: the form's question titles and choice labels, dates in
UK format — never field ids or codes. One place for the case page, the task page's read-only
views and exports.

``labelled_rows(schema, data)`` gives rows ``{"label", "text"}``, or ``{"label", "rows"}`` for a
group, or ``{"label", "repeat"}`` (a list of row lists) for a repeated group.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from engine import Definition
from engine.clock_reviews import breach_reviews
from webapp.cases.schema_forms import _options, _resolve, humanise

Json = Mapping[str, Any]


def _date_text(value: str, kind: str) -> str:
    try:
        if kind == "date":
            return date.fromisoformat(value).strftime("%-d %B %Y")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.strftime("%-d %B %Y, %H:%M")


def value_text(node: Json, value: Any) -> str:
    """One answer as words: a choice's label, Yes/No, a UK date, or the text itself."""
    if value is None or value == "":
        return "–"
    options = _options(node)
    if options:
        for const, label in options:
            if const == value:
                return label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str) and node.get("format") in ("date", "date-time"):
        return _date_text(value, node["format"])
    if isinstance(value, list):
        items = _resolve(node.get("items"), node) if isinstance(node.get("items"), Mapping) else {}
        return ", ".join(value_text(items, v) for v in value)
    return str(value)


def _row(label: str, node: Json, value: Any, root: Json) -> dict[str, Any]:
    """One row: a group (``rows``), a repeated group (``repeat``) or an answer (``text``). Every
    row has all three keys: a template's lookup of a missing key costs a ``dir()`` of the row."""
    node = _resolve(node, root)
    row: dict[str, Any] = {"label": label, "rows": None, "repeat": None, "text": ""}
    if isinstance(value, Mapping):
        return {**row, "rows": _rows(node, value, root)}
    items = _resolve(node.get("items"), root) if isinstance(node, Mapping) else {}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return {**row, "repeat": [_rows(items, v, root) for v in value]}
    if isinstance(value, list) and not _options(node):
        return {**row, "text": ", ".join(value_text(items, v) for v in value) or "–"}
    return {**row, "text": value_text(node, value)}


def _rows(node: Json, data: Mapping[str, Any], root: Json) -> list[dict[str, Any]]:
    props = node.get("properties") if isinstance(node, Mapping) else None
    props = props if isinstance(props, Mapping) else {}
    ordered = [k for k in props if k in data] + [k for k in data if k not in props]
    rows = []
    for key in ordered:
        spec = _resolve(props.get(key, {}), root)
        rows.append(_row(str(spec.get("title") or humanise(key)), spec, data[key], root))
    return rows


def labelled_rows(schema: Json | None, data: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The answers ``data`` as rows labelled by the form ``schema`` (field order kept)."""
    if not isinstance(data, Mapping):
        return []
    root = schema if isinstance(schema, Mapping) else {}
    return _rows(root, data, root)


def flat_rows(rows: list[dict[str, Any]], prefix: str = "") -> list[tuple[str, str]]:
    """(question, answer) pairs for a spreadsheet: groups' labels joined with ' – '."""
    flat: list[tuple[str, str]] = []
    for row in rows:
        label = f"{prefix}{row['label']}"
        if row["rows"] is not None:
            flat.extend(flat_rows(row["rows"], f"{label} – "))
        elif row["repeat"] is not None:
            for i, item in enumerate(row["repeat"], 1):
                flat.extend(flat_rows(item, f"{label} {i} – "))
        else:
            flat.append((label, row["text"]))
    return flat


@lru_cache(maxsize=256)
def _task_forms(definition: Definition) -> dict[str, str]:
    """User task id -> form file, over the process and its subprocesses."""
    forms: dict[str, str] = {}
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            props = getattr(task_spec, "extensions", {}).get("properties", {})
            form = props.get("formJsonSchemaFilename") if isinstance(props, Mapping) else None
            if form and getattr(task_spec, "bpmn_id", None):
                forms[task_spec.bpmn_id] = form
    return forms


def task_form_file(definition: Definition, bpmn_id: str) -> str:
    """The form file of a user task of the definition ("" if it has none)."""
    return _task_forms(definition).get(bpmn_id, "")


def task_form(definition: Definition, bpmn_id: str) -> Json:
    """The form schema a task of the definition records its answers with ({} if none)."""
    return definition.form_for(task_form_file(definition, bpmn_id)) or {}


def reviewed_clock(definition: Definition, bpmn_id: str) -> str:
    """The clock a breach-review task reviews ("" if the task reviews none)."""
    return breach_reviews(definition).get(bpmn_id, "")


def headline(schema: Json | None, data: Mapping[str, Any] | None) -> str:
    """The answers a form marks ``"x-timeline": true`` (a decision's outcome), as "Question:
    answer" for the case's timeline; "" if it marks none."""
    if not isinstance(schema, Mapping) or not isinstance(data, Mapping):
        return ""
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else {}
    parts = []
    for key, declared in props.items():
        spec = _resolve(declared, schema)
        if isinstance(spec, Mapping) and spec.get("x-timeline") and key in data:
            parts.append(f"{spec.get('title') or humanise(key)}: {value_text(spec, data[key])}")
    return "; ".join(parts)
