"""Submitted task forms parsed back into data typed by the form's JSON Schema."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any

from webapp.cases.schema_forms import (
    _BOOLEANS,
    _INT,
    _NUMBER,
    ADD,
    REMOVE,
    Json,
    _number,
    _properties,
    _resolve,
    _type,
)
from webapp.cases.schema_reveal import hidden_fields

DATE_PARTS = ("year", "month", "day")  # a date posts as <name>.day, <name>.month, <name>.year


@dataclass(slots=True)
class _Posted:
    """Submitted values arranged by the dotted input names."""

    values: list[str] = dc_field(default_factory=list)
    children: dict[str, _Posted] = dc_field(default_factory=dict)

    def at(self, name: str, *, create: bool = False) -> _Posted | None:
        node: _Posted | None = self
        for part in name.split("."):
            if node is None:
                return None
            node = node.children.setdefault(part, _Posted()) if create else node.children.get(part)
        return node


def _posted(post: Mapping[str, Any]) -> _Posted:
    root = _Posted()
    getlist = getattr(post, "getlist", None)
    for key in post:
        raw = getlist(key) if callable(getlist) else post[key]
        node = root.at(str(key), create=True)
        if node is not None:
            node.values.extend(str(v) for v in (raw if isinstance(raw, list | tuple) else [raw]))
    return root


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and len(key) <= 6  # noqa: PLR2004


def _blank(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or value == ""


def _cast(raw: str, kind: str) -> Any:
    """Typed value, or the raw text when it will not cast, so jsonschema names the problem."""
    if kind == "integer" and _INT.fullmatch(raw):
        return int(raw)
    if kind == "number" and _NUMBER.fullmatch(raw):
        number = int(raw) if _INT.fullmatch(raw) else float(raw)
        return number if math.isfinite(number) else raw
    if kind == "boolean":
        return _BOOLEANS.get(raw.lower(), raw)
    return raw


def _parse(schema: Any, posted: _Posted | None, root: Json, keep_blank: bool) -> Any:
    """Typed data for one node; None when nothing was entered."""
    node = _resolve(schema, root)
    kind = _type(node)
    if kind == "object":
        return _parse_object(node, posted, root, keep_blank)
    if kind == "array":
        return _parse_array(node, posted, root, keep_blank)
    if node.get("format") == "date" and posted and any(p in posted.children for p in DATE_PARTS):
        return _date(posted)
    raw = posted.values[-1].replace("\r\n", "\n").strip() if posted and posted.values else ""
    return _cast(raw, kind) if raw else None


def _date(posted: _Posted) -> str | None:
    """Day, month and year fields → an ISO date; anything else stays as typed ("2026-2-31",
    "2026--4") so the validator says what is wrong and the page shows it again."""
    parts = [(p.values[-1] if (p := posted.children.get(k)) and p.values else "").strip()[:10]
             for k in DATE_PARTS]
    if not any(parts):
        return None
    year, month, day = parts
    if all(p.isascii() and p.isdigit() for p in parts) and len(year) == 4:  # noqa: PLR2004
        try:
            return date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass
    return f"{year}-{month}-{day}"


def _parse_object(node: Json, posted: _Posted | None, root: Json,
                  keep_blank: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    required = set(node.get("required") or ())
    children = posted.children if posted else {}
    for key, sub in _properties(node):
        value = _parse(sub, children.get(key), root, keep_blank)
        # An empty required object stays, so its own required fields get the messages.
        keep = keep_blank or (key in required and isinstance(value, dict))
        if value is not None and (keep or not _blank(value)):
            out[key] = value
    if not keep_blank:  # follow-up questions whose condition does not hold are not asked
        for key in hidden_fields(node, root, out):
            out.pop(key, None)
    return out


def _parse_array(node: Json, posted: _Posted | None, root: Json, keep_blank: bool) -> list[Any]:
    if posted is None:
        return []
    items = _resolve(node.get("items"), root)
    kind = _type(items)
    scalar = kind not in ("object", "array")  # checkboxes post one name many times
    out = [_cast(v.strip(), kind) for v in posted.values if scalar and v.strip()]
    for index in sorted(filter(_is_index, posted.children), key=int):
        value = _parse(items, posted.children[index], root, keep_blank)
        if keep_blank:
            out.append("" if value is None else value)
        elif not _blank(value):
            out.append(value)
    return out


def parse_post(schema: Json, post: Mapping[str, Any]) -> dict[str, Any]:
    """Submitted fields → data typed by ``schema``; keys the schema lacks are ignored."""
    root = _resolve(schema, schema)
    return _parse_object(root, _posted(post), schema, keep_blank=False)


def _array_at(schema: Json, name: str) -> Json | None:
    """The array schema an ``_add``/``_remove`` target names, or None if it names none."""
    node: Json = _resolve(schema, schema)
    for part in name.split("."):
        if _type(node) == "array" and _is_index(part):
            node = _resolve(node.get("items"), schema)
        elif _type(node) == "object" and part in dict(_properties(node)):
            node = _resolve(dict(_properties(node))[part], schema)
        else:
            return None
    return node if _type(node) == "array" else None


def apply_repeat_actions(schema: Json, data: Json | None,
                         post: Mapping[str, Any]) -> dict[str, Any] | None:
    """The data to re-render after an "Add another"/"Remove" submit, or None for other submits.

    Item positions come from ``post``, not ``data``: parse_post drops blank items, which would
    shift the index a Remove button names. Blank items are kept here so the page keeps its rows.
    """
    del data  # kept in the signature for callers; see above
    posted = _posted(post)
    add, remove = ("".join(p.values[-1:]) if (p := posted.children.get(k)) else None
                   for k in (ADD, REMOVE))
    if add is None and remove is None:
        return None
    if add:
        array = _array_at(schema, add)
        node = posted.at(add, create=True) if array is not None else None
        limit = _number(array.get("maxItems")) if array is not None else None
        if node is not None:
            indices = [int(k) for k in node.children if _is_index(k)]
            if limit is None or len(indices) < limit:
                node.children[str(max(indices, default=-1) + 1)] = _Posted()
    elif remove:
        parent, _, index = remove.rpartition(".")
        node = posted.at(parent) if _is_index(index) and _array_at(schema, parent) else None
        if node is not None:
            node.children.pop(index, None)
    return _parse_object(_resolve(schema, schema), posted, schema, keep_blank=True)
