"""Task forms from each task's JSON Schema: a Field tree to render, and the post parsed back.

No JavaScript needed (repeating groups grow and shrink through ``_add``/``_remove`` buttons), and
no HTML ``required``: jsonschema validates on the server, so drafts may be partial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from engine.form_messages import resolve
from engine.form_rules import DEFAULT, TODAY, today
from webapp.cases.schema_reveal import reveals

Json = Mapping[str, Any]
ADD = "_add"
REMOVE = "_remove"
RADIO_LIMIT = 5  # more choices than this become a <select>
TEXTAREA_OVER = 300  # a longer maxLength gets a textarea
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INT = re.compile(r"[-+]?\d{1,30}")
_NUMBER = re.compile(r"[-+]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})([eE][-+]?\d{1,3})?")
_BOOLEANS = {"yes": True, "no": False, "true": True, "false": False}
_YES_NO: list[tuple[Any, str]] = [(True, "Yes"), (False, "No")]


@dataclass(slots=True)
class Choice:
    """One radio, checkbox or option. The first one's id is the field's, so links land on it."""

    value: str
    label: str
    id: str
    selected: bool = False
    conditional: list[Field] = dc_field(default_factory=list)  # follow-up questions it reveals

    @property
    def conditional_id(self) -> str:
        return f"{self.id}-conditional"


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
    date_parts: tuple[str, str, str] = ("", "", "")  # day, month, year of a date field

    @property
    def reveals(self) -> bool:
        return any(c.conditional for c in self.choices)

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
        if self.kind in ("fieldset", "repeat", "list-of-strings"):
            return "cases/form/group.html"
        if self.kind == "date":
            return "cases/form/date.html"
        choices = self.kind in ("radios", "checkbox-yes-no", "checkboxes")
        return "cases/form/choices.html" if choices else "cases/form/input.html"


def humanise(key: Any) -> str:
    """'date_of_birth' and 'dateOfBirth' → 'Date of birth'; acronyms such as 'GP' stay."""
    words = _CAMEL.sub(" ", str(key)).replace("_", " ").replace("-", " ").split()
    text = " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words)
    return text[:1].upper() + text[1:]


# --- schema reading -------------------------------------------------------------------------


# Local ``$ref``s are followed as the engine follows them for its validation messages, so
# shared ``$defs`` render like inline schemas.
_resolve = resolve


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
    kinds = {type(v) for v, _ in _options(node)}  # untyped enum/const: infer from the values
    only = kinds.pop() if len(kinds) == 1 else str
    return {bool: "boolean", int: "integer", float: "number"}.get(only, "string")


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
    """How a value sits in an input; booleans as the yes/no radios' values."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _number(value: Any) -> Any:
    """A schema keyword's number (minimum, maxItems...), or None if it is not one."""
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
        self._ids.update({candidate, *(f"{candidate}-{part}" for part in (
            "hint", "error", "month", "year", "input", "conditional"))})
        return candidate

    def properties(self, node: Json, ui: Json, prefix: str, data: Any) -> list[Field]:
        values = data if isinstance(data, Mapping) else {}
        required = set(node.get("required") or ())
        fields = {key: self.node(key, sub, ui.get(key), f"{prefix}.{key}" if prefix else key,
                                 values.get(key), required=key in required)
                  for key, sub in _properties(node, ui.get("ui:order"))}
        return _nest_follow_ups(fields, reveals(node, self.root))

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
        field.max_length = _number(node.get("maxLength"))
        if options:
            field.choices = self.choices(field, options, {field.value})
            many = len(options) > RADIO_LIMIT
            field.kind = ("checkbox-yes-no" if kind == "boolean" else
                          "select" if widget == "select" or (many and widget != "radio") else
                          "radios")
        elif kind in ("integer", "number"):
            field.kind, field.input_type = kind, "number"
            step = _number(node.get("multipleOf"))
            field.step = str(step) if step else ("1" if kind == "integer" else "any")
            field.minimum = _number(node.get("minimum"))
            field.maximum = _number(node.get("maximum"))
        elif node.get("format") == "date":
            field.kind = field.input_type = "date"
            if self.fresh and not field.value and ui.get(DEFAULT) == TODAY:
                field.value = today().isoformat()
            parts = field.value.split("-")
            if len(parts) == 3:  # noqa: PLR2004 (year-month-day, as stored or as typed)
                year, month, day = parts
                field.date_parts = (day.lstrip("0") if day.isdigit() else day,
                                    month.lstrip("0") if month.isdigit() else month, year)
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
        count = max(len(values), int(_number(node.get("minItems")) or 0), 1)
        title = str(items.get("title") or "")
        for i in range(count):
            child = self.node(str(i), items, item_ui, f"{field.name}.{i}",
                              values[i] if i < len(values) else None, required=False)
            child.label = f"{title or field.label} {i + 1}"
            child.is_item = field.kind == "repeat"
            child.remove_name = child.name if count > 1 else ""
            field.children.append(child)
        limit = _number(node.get("maxItems"))
        field.add_name = field.name if limit is None or count < limit else ""
        small = title[:1].lower() + title[1:] if title[1:2].islower() else title
        field.add_label = f"Add another {small}" if title else "Add another"


def _nest_follow_ups(fields: dict[str, Field], rules: Sequence[Any]) -> list[Field]:
    """Put each follow-up question under the answer that reveals it (a radio), required there.

    A controller shown as a select or checkboxes cannot reveal: its follow-ups stay in place."""
    nested: set[str] = set()
    for rule in rules:
        controller = fields.get(rule.controller)
        if controller is None or controller.kind not in ("radios", "checkbox-yes-no"):
            continue
        wanted = {_display(v) for v in rule.values}
        for choice in controller.choices:
            if choice.value in wanted:
                for key in rule.fields:
                    if key not in nested and key in fields:
                        fields[key].required = True
                        choice.conditional.append(fields[key])
                        nested.add(key)
    return [f for key, f in fields.items() if key not in nested]


def walk_fields(fields: Sequence[Field], trail: tuple[str, ...] = ()) -> Iterator[
        tuple[Field, tuple[str, ...]]]:
    """Every field, depth first, with the labels of the groups it sits in (for the summary);
    follow-up questions come right after the question that reveals them."""
    for field in fields:
        yield field, trail
        inner = trail if field.kind in ("repeat", "list-of-strings") else (*trail, field.label)
        yield from walk_fields(field.children, inner)
        for choice in field.choices:
            yield from walk_fields(choice.conditional, trail)


def field_for_error(fields: Sequence[Field], name: str) -> Field | None:
    """The field an error's input name belongs to, or its closest rendered ancestor."""
    index = {f.name: f for f, _ in walk_fields(fields)}
    parts = name.split(".") if name else []
    found = (index.get(".".join(parts[:n])) for n in range(len(parts), 0, -1))
    return next((f for f in found if f is not None), None)


def render_fields(schema: Json, data: Json | None, errors: Mapping[str, Sequence[str]] | None,
                  ui: Json | None = None, *, id_prefix: str = "f") -> list[Field]:
    """The fields to render for ``schema``; ``data`` None means a fresh form (defaults apply).

    ``errors`` is keyed by input name (or jsonschema path); an error on something not rendered
    lands on its nearest rendered ancestor; top-level ones ('') on no field (the summary has them).
    """
    root = _resolve(schema, schema)
    builder = _Builder(root, fresh=data is None, id_prefix=id_prefix)
    fields = builder.properties(root, ui if isinstance(ui, Mapping) else {}, "", data or {})
    for name, messages in errors_by_name(errors or {}).items():
        target = field_for_error(fields, name)
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
