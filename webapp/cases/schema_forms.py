"""Task forms generated from each task's JSON Schema: a Field tree to render, and the post parsed
back into typed data.

It works without JavaScript (repeating groups grow and shrink through ``_add``/``_remove`` submit
buttons) and leaves validation to the server (jsonschema), so inputs carry no HTML ``required``:
drafts may be partial, and every message appears next to its field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

Json = Mapping[str, Any]
ADD = "_add"
REMOVE = "_remove"
RADIO_LIMIT = 5  # more choices than this become a <select>
TEXTAREA_OVER = 300  # a longer maxLength gets a textarea
GROUP_KINDS = frozenset({"fieldset", "repeat", "list-of-strings"})
CHOICE_KINDS = frozenset({"radios", "checkbox-yes-no", "checkboxes"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INT = re.compile(r"[-+]?\d{1,30}")
_NUMBER = re.compile(r"[-+]?(\d{1,30}\.?\d{0,30}|\.\d{1,30})([eE][-+]?\d{1,3})?")
_BOOLEANS = {"yes": True, "no": False, "true": True, "false": False}
_YES_NO: list[tuple[Any, str]] = [(True, "Yes"), (False, "No")]


@dataclass(slots=True)
class Choice:
    """One radio, checkbox or option. The first one's id is the field's, so links land on it."""

    value: str
    label: str
    id: str
    selected: bool = False


@dataclass(slots=True)
class Field:
    """What to render for one schema node; the templates switch on ``kind``."""

    name: str
    id: str
    label: str
    kind: str = "text"
    help: str = ""
    value: str = ""
    required: bool = False
    choices: list[Choice] = dc_field(default_factory=list)
    errors: list[str] = dc_field(default_factory=list)
    children: list[Field] = dc_field(default_factory=list)
    input_type: str = "text"
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    step: str = ""
    rows: int = 5
    add_name: str = ""  # value of the "_add" button; empty when no more items are allowed
    add_label: str = ""
    remove_name: str = ""  # value of this item's "_remove" button
    is_item: bool = False  # an item of a repeating group: posts a marker so blank items survive

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        ids = [self.hint_id] if self.help else []
        return " ".join([*ids, self.error_id] if self.errors else ids)

    @property
    def template(self) -> str:
        if self.kind in GROUP_KINDS:
            return "cases/form/group.html"
        return "cases/form/choices.html" if self.kind in CHOICE_KINDS else "cases/form/input.html"


@dataclass(frozen=True, slots=True)
class ErrorLink:
    """One line of the error summary; ``href`` is None for errors that belong to no field."""

    href: str | None
    text: str


def humanise(key: Any) -> str:
    """'date_of_birth' and 'dateOfBirth' → 'Date of birth'; acronyms such as 'GP' stay."""
    words = _CAMEL.sub(" ", str(key)).replace("_", " ").replace("-", " ").split()
    text = " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words)
    return text[:1].upper() + text[1:]


# --- schema reading -------------------------------------------------------------------------


def _resolve(node: Any, root: Json) -> Json:
    """Follow local ``$ref``s so shared ``$defs`` render like inline schemas."""
    for _ in range(20):
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node
        target: Any = root
        for part in filter(None, ref[1:].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings} if isinstance(target, Mapping) else siblings
    return {}


def _options(node: Json) -> list[tuple[Any, str]]:
    """Choices from ``enum`` (+ ``x-enumNames``/``enumNames``) or ``oneOf: [{const, title}]``."""
    enum = node.get("enum")
    if isinstance(enum, list):
        names = node.get("x-enumNames", node.get("enumNames"))
        if not (isinstance(names, list) and len(names) == len(enum)):
            names = [humanise(v) for v in enum]
        return [(v, str(n)) for v, n in zip(enum, names, strict=True) if v is not None]
    alternatives = node.get("oneOf") or node.get("anyOf")
    if isinstance(alternatives, list) and alternatives and all(
            isinstance(a, Mapping) and "const" in a for a in alternatives):
        return [(a["const"], str(a.get("title") or humanise(a["const"])))
                for a in alternatives if a["const"] is not None]
    return []


def _type(node: Json) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    values = [v for v, _ in _options(node)]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "string"


def _properties(node: Json, order: Any = None) -> list[tuple[str, Any]]:
    """Properties in ``ui:order`` (then schema) order; names must survive the dotted naming."""
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return []
    for key in props:
        if "." in key or key.startswith("_") or not key:
            raise ValueError(f"form property {key!r} cannot be a field name ('.' or leading '_')")
    first = [k for k in order if k in props] if isinstance(order, list) else []
    return [(k, props[k]) for k in dict.fromkeys([*first, *props])]


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number_or_none(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- rendering ------------------------------------------------------------------------------


class _Builder:
    """Builds the Field tree for one form, handing out ids that are unique within the page."""

    def __init__(self, root: Json, *, fresh: bool, id_prefix: str) -> None:
        self.root, self.fresh, self.prefix = root, fresh, id_prefix
        self._ids: set[str] = set()

    def unique_id(self, raw: str) -> str:
        base = f"{self.prefix}-{_UNSAFE.sub('-', raw.replace('.', '-'))}"
        candidate, n = base, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{base}--{n}"
        self._ids.update({candidate, f"{candidate}-hint", f"{candidate}-error"})
        return candidate

    def properties(self, node: Json, ui: Json, prefix: str, data: Any) -> list[Field]:
        values = data if isinstance(data, Mapping) else {}
        required = set(node.get("required") or ())
        return [self.node(key, sub, ui.get(key), f"{prefix}.{key}" if prefix else key,
                          values.get(key), required=key in required)
                for key, sub in _properties(node, ui.get("ui:order"))]

    def node(self, key: str, schema: Any, ui: Any, name: str, value: Any, *,
             required: bool) -> Field:
        node = _resolve(schema, self.root)
        ui = ui if isinstance(ui, Mapping) else {}
        field = Field(name=name, id=self.unique_id(name), required=required,
                      label=str(ui.get("ui:title") or node.get("title") or humanise(key)),
                      help=str(ui.get("ui:help") or node.get("description") or ""))
        kind = _type(node)
        if kind == "object":
            field.kind = "fieldset"
            field.children = self.properties(node, ui, name, value)
        elif kind == "array":
            self.array(field, node, ui, value)
        else:
            if self.fresh and value is None:
                value = node.get("default")
            self.scalar(field, node, ui, kind, value)
        return field

    def choices(self, field: Field, options: list[tuple[Any, str]],
                selected: set[str]) -> list[Choice]:
        return [Choice(value=_display(v), label=label, selected=_display(v) in selected,
                       id=field.id if i == 0 else self.unique_id(f"{field.name}.{i + 1}"))
                for i, (v, label) in enumerate(options)]

    def scalar(self, field: Field, node: Json, ui: Json, kind: str, value: Any) -> None:
        widget = str(ui.get("ui:widget") or node.get("x-widget") or "")
        options = _YES_NO if kind == "boolean" else _options(node)
        field.value = _display(value)
        field.max_length = _int_or_none(node.get("maxLength"))
        if options:
            field.choices = self.choices(field, options, {field.value})
            many = len(options) > RADIO_LIMIT
            field.kind = ("checkbox-yes-no" if kind == "boolean" else
                          "select" if widget == "select" or (many and widget != "radio") else
                          "radios")
        elif kind in ("integer", "number"):
            field.kind, field.input_type = kind, "number"
            step = _number_or_none(node.get("multipleOf"))
            field.step = str(step) if step else ("1" if kind == "integer" else "any")
            field.minimum = _number_or_none(node.get("minimum"))
            field.maximum = _number_or_none(node.get("maximum"))
        elif node.get("format") == "date":
            field.kind = field.input_type = "date"
        elif widget == "textarea" or (field.max_length or 0) > TEXTAREA_OVER:
            field.kind = "textarea"
            options_ui = ui.get("ui:options")
            rows = options_ui.get("rows") if isinstance(options_ui, Mapping) else None
            field.rows = rows if isinstance(rows, int) and 1 < rows < 50 else 5  # noqa: PLR2004
        else:
            field.input_type = "email" if node.get("format") == "email" else "text"

    def array(self, field: Field, node: Json, ui: Json, value: Any) -> None:
        items = _resolve(node.get("items"), self.root)
        values = list(value) if isinstance(value, list) else []
        if _type(items) != "object" and _options(items):
            field.kind = "checkboxes"
            field.choices = self.choices(field, _options(items), {_display(v) for v in values})
            return
        field.kind = "repeat" if _type(items) == "object" else "list-of-strings"
        item_ui = ui.get("items") if isinstance(ui.get("items"), Mapping) else {}
        count = max(len(values), _int_or_none(node.get("minItems")) or 0, 1)
        title = str(items.get("title") or "")
        for i in range(count):
            child = self.node(str(i), items, item_ui, f"{field.name}.{i}",
                              values[i] if i < len(values) else None, required=False)
            child.label = f"{title or field.label} {i + 1}"
            child.is_item = field.kind == "repeat"
            child.remove_name = child.name if count > 1 else ""
            field.children.append(child)
        limit = _int_or_none(node.get("maxItems"))
        field.add_name = field.name if limit is None or count < limit else ""
        small = title[:1].lower() + title[1:] if title[1:2].islower() else title
        field.add_label = f"Add another {small}" if title else "Add another"


def _walk(fields: Sequence[Field], trail: tuple[str, ...] = ()) -> Iterator[
        tuple[Field, tuple[str, ...]]]:
    """Every field, depth first, with the labels of the groups it sits in."""
    for field in fields:
        yield field, trail
        inner = trail if field.kind in ("repeat", "list-of-strings") else (*trail, field.label)
        yield from _walk(field.children, inner)


def _nearest(index: Mapping[str, Field], name: str) -> Field | None:
    """The field for an error's name, or its closest rendered ancestor."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        found = index.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def render_fields(schema: Json, data: Json | None, errors: Mapping[str, Sequence[str]] | None,
                  ui: Json | None = None, *, id_prefix: str = "f") -> list[Field]:
    """The fields to render for ``schema``; ``data`` None means a fresh form (defaults apply).

    ``errors`` is keyed by input name (or jsonschema path); an error on something not rendered
    lands on its nearest rendered ancestor, and top-level ones on no field (see error_summary).
    """
    root = _resolve(schema, schema)
    builder = _Builder(root, fresh=data is None, id_prefix=id_prefix)
    fields = builder.properties(root, ui if isinstance(ui, Mapping) else {}, "", data or {})
    index = {f.name: f for f, _ in _walk(fields)}
    for name, messages in errors_by_name(errors or {}).items():
        target = _nearest(index, name) if name else None
        if target is not None:
            target.errors.extend(messages)
    return fields


def errors_by_name(field_errors: Mapping[str, Sequence[str] | str]) -> dict[str, list[str]]:
    """jsonschema paths ('children/0/age') → input names ('children.0.age'); '' stays general."""
    out: dict[str, list[str]] = {}
    for path, messages in field_errors.items():
        name = ".".join(p for p in str(path).lstrip("#").replace("/", ".").split(".") if p)
        out.setdefault(name, []).extend([messages] if isinstance(messages, str) else messages)
    return out


def error_summary(fields: Sequence[Field],
                  errors: Mapping[str, Sequence[str] | str] | None) -> list[ErrorLink]:
    """Summary lines for ``fields`` (as render_fields left them), general errors first."""
    links: list[ErrorLink] = []
    index = {f.name: f for f, _ in _walk(fields)}
    for name, messages in errors_by_name(errors or {}).items():
        if not name or _nearest(index, name) is None:
            links.extend(ErrorLink(None, m) for m in messages)
    for field, trail in _walk(fields):
        where = " – ".join((*trail, field.label))
        links.extend(ErrorLink(f"#{field.id}", f"{where}: {m}") for m in field.errors)
    return links


# --- parsing --------------------------------------------------------------------------------


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
    raw = posted.values[-1].replace("\r\n", "\n").strip() if posted and posted.values else ""
    return _cast(raw, kind) if raw else None


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


def _last(post: Mapping[str, Any], key: str) -> str | None:
    value = post.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return None if value is None else str(value)


def apply_repeat_actions(schema: Json, data: Json | None,
                         post: Mapping[str, Any]) -> dict[str, Any] | None:
    """The data to re-render after an "Add another"/"Remove" submit, or None for other submits.

    Item positions come from ``post``, not ``data``: parse_post drops blank items, which would
    shift the index a Remove button names. Blank items are kept here so the page keeps its rows.
    """
    del data  # kept in the signature for callers; see above
    add, remove = _last(post, ADD), _last(post, REMOVE)
    if add is None and remove is None:
        return None
    posted = _posted(post)
    if add:
        array = _array_at(schema, add)
        node = posted.at(add, create=True) if array is not None else None
        limit = _int_or_none(array.get("maxItems")) if array is not None else None
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
