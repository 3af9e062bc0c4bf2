"""Check a scheme's declarations against its own diagrams and forms, each problem with the file
and line to fix: a reference an edit broke is an error, never a silent change of behaviour."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from lxml import etree

from engine.json_lines import JsonLines
from engine.lint import BPMN, NS, Problem
from engine.scheme import (
    DECLARATION_FILE,
    PARAMETER_TYPES,
    RETENTION_CLASSES,
    S62_OPERATIONS,
    SEARCH_KINDS,
    Parameter,
    Scheme,
    build,
    show_reference,
)
from engine.scheme_returns import FORMAT as RETURNS_FORMAT
from engine.scheme_returns import check_rules

MAX_BYTES = 200_000
_SLUG = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_ID = {"type": "string", "minLength": 1, "maxLength": 200}
_TASKS = {"type": "array", "items": _ID, "maxItems": 200}
FORMAT: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["format", "title", "intake", "lanes"],
    "properties": {
        "format": {"const": 1},
        "title": _TEXT, "short_title": _TEXT, "case_noun": _TEXT, "intake": _ID,
        "lanes": {"type": "object", "minProperties": 1, "additionalProperties": _SLUG},
        "default_role": _SLUG,
        "parameters": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["type"],
            "properties": {"label": _TEXT, "type": {"enum": list(PARAMETER_TYPES)},
                           "default": {}, "options": {"type": "object",
                                                      "additionalProperties": _TEXT}}}},
        "clocks": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "limit"],
            "properties": {"name": _SLUG, "label": _TEXT, "activity": {"type": ["string", "null"]},
                           "limit": _ID, "breach_timer": {"type": ["string", "null"]},
                           "met_by": {"type": "array", "maxItems": 20, "items": _ID}}}},
        "parties": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False, "required": ["key", "field"],
            "properties": {"key": _SLUG, "label": _TEXT, "field": _ID, "many": {"type": "boolean"},
                           "hidden_from": {"type": "array", "items": _SLUG},
                           "search": {"type": "object", "additionalProperties": False,
                                      "properties": {kind: _ID for kind in SEARCH_KINDS}}}}},
        "s62": {"type": "object", "additionalProperties": False, "properties": {
            "collect": _TASKS, "combine": _TASKS,
            "disclose": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["task"],
                "properties": {"task": _ID, "recipient": _SLUG}}}}},
        "risk_markers": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "field", "equals"],
            "properties": {"name": _SLUG, "label": _TEXT, "field": _ID,
                           "equals": {"type": ["boolean", "string", "number"]}}}},
        "outcomes": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["label"],
            "properties": {"label": _TEXT, "retention": {"enum": list(RETENTION_CLASSES)},
                           "counts": {"type": "array", "items": _SLUG}}}},
        "returns": RETURNS_FORMAT,
        "messages": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "required": ["message"],
            "properties": {"message": _ID, "label": _TEXT, "event": _TEXT, "reason": _TEXT}}},
        "letters": {"type": "array", "maxItems": 30, "items": {
            "type": "object", "additionalProperties": False, "required": ["key", "title"],
            "properties": {"key": _SLUG, "title": _TEXT, "description": _TEXT,
                           "stages": _TASKS, "outcomes": _TASKS}}},
        "shows": {"type": "object", "additionalProperties": {
            "type": "array", "maxItems": 50, "items": {
                "type": "string", "pattern": "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_]+)?$"}}},
    },
}
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_CODE = re.compile(r"^[A-Z][a-z]+[A-Za-z]*$")
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_SCRIPTS = (f"{{{BPMN}}}script", f"{{{_SPIFF}}}preScript", f"{{{_SPIFF}}}postScript")


class _Report:
    def __init__(self, lines: JsonLines) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def __call__(self, path: tuple[str | int, ...], message: str, severity: str = "error",
                 element: str | None = None) -> None:
        self.problems.append(Problem(DECLARATION_FILE, self.lines.line(path), element, message,
                                     severity))


def check_declaration(data: bytes | None, roots: Mapping[str, etree._Element],
                      forms: Mapping[str, Any], *, roles: Collection[str] | None = None,
                      required: bool = False) -> tuple[Scheme, list[Problem]]:
    """The scheme read from ``scheme.json`` bytes, and every problem with it."""
    if data is None:
        problems = [Problem(DECLARATION_FILE, 1, None, "the scheme has no scheme.json: declare its "
                                                       "lanes, clocks, parties and outcomes "
                                                       "(docs/scheme-declarations.md)")]
        return Scheme.empty(), problems if required else []
    if len(data) > MAX_BYTES:
        return Scheme.empty(), [Problem(DECLARATION_FILE, 1, None,
                                        f"scheme.json is larger than {MAX_BYTES} bytes")]
    try:
        text = data.decode()
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return Scheme.empty(), [Problem(DECLARATION_FILE, getattr(exc, "lineno", 1), None,
                                        f"scheme.json is not valid JSON: {exc}")]
    report = _Report(JsonLines(text))
    for error in sorted(Draft202012Validator(FORMAT).iter_errors(doc), key=lambda e: e.path):
        where = "/".join(map(str, error.path)) or "the top level"
        report(tuple(error.path), f"{where}: {error.message[:200]}")
    if report.problems:
        return Scheme.empty(), report.problems
    scheme = build(doc)
    _Crosscheck(scheme, doc, roots=roots, forms=forms, roles=roles, report=report).run()
    return scheme, report.problems


class _Crosscheck:
    def __init__(self, scheme: Scheme, doc: Mapping[str, Any], *,
                 roots: Mapping[str, etree._Element], forms: Mapping[str, Any],
                 roles: Collection[str] | None, report: _Report) -> None:
        self.scheme, self.doc, self.report, self.roles = scheme, doc, report, roles
        self.bpmn = {f: r for f, r in roots.items() if etree.QName(r).namespace == BPMN}
        self.elements: dict[str, tuple[str, etree._Element]] = {}
        for file, root in self.bpmn.items():
            for el in root.iter():
                if isinstance(el.tag, str) and el.get("id"):
                    self.elements.setdefault(el.get("id"), (file, el))
        self.fields = _form_fields(forms)
        self.forms = forms

    def run(self) -> None:
        self._lanes()
        self._intake()
        self._parameters()
        self._clocks()
        self._parties()
        self._s62()
        self._risk_markers()
        self._outcomes()
        self._messages()
        self._shows()

    def _kind(self, element_id: str | None) -> str | None:
        found = self.elements.get(element_id or "")
        return etree.QName(found[1]).localname if found else None

    def _lanes(self) -> None:
        for file, root in self.bpmn.items():
            for lane in root.iterfind(".//bpmn:lane", NS):
                name = lane.get("name") or ""
                if name not in self.scheme.lanes:
                    self.report.problems.append(Problem(
                        file, lane.sourceline, lane.get("id"),
                        f"lane '{name}' has no role: add it to \"lanes\" in scheme.json"))
        if self.scheme.default_role and self.roles is not None \
                and self.scheme.default_role not in self.roles:
            self.report(("default_role",), f"default_role: '{self.scheme.default_role}' is not a "
                                           f"role; use one of {', '.join(sorted(self.roles))}")
        for lane, role in self.scheme.lanes.items():
            if self.roles is not None and role not in self.roles:
                self.report(("lanes", lane), f"lane '{lane}': '{role}' is not a role; use one "
                                             f"of {', '.join(sorted(self.roles))}")

    def _intake(self) -> None:
        if self._kind(self.scheme.intake) != "userTask":
            self.report(("intake",), f"intake '{self.scheme.intake}' is not a user task in the "
                                     "diagram")

    def _parameters(self) -> None:
        for name, p in self.scheme.parameters.items():
            path = ("parameters", name)
            if not name.isidentifier():
                self.report(path, f"parameter '{name}' is not a variable name")
            bad = _bad_default(p.type, p.default, p.options)
            if bad:
                self.report((*path, "default"), f"parameter '{name}': {bad}")

    def _clocks(self) -> None:
        names: set[str] = set()
        for index, clock in enumerate(self.scheme.clocks):
            path = ("clocks", index)
            if clock.name in names:
                self.report((*path, "name"), f"clock '{clock.name}' is declared twice")
            names.add(clock.name)
            if clock.activity is not None and self._kind(clock.activity) not in (
                    "callActivity", "subProcess"):
                self.report((*path, "activity"), f"clock '{clock.name}': '{clock.activity}' is "
                                                 "not a call activity or subprocess")
            limit = self.scheme.parameters.get(clock.limit)
            if limit is None or limit.type != "duration":
                self.report((*path, "limit"), f"clock '{clock.name}': '{clock.limit}' is not a "
                                              "duration parameter")
            if clock.breach_timer is not None:
                self._breach_timer(path, clock.name, clock.breach_timer, clock.limit)
            for position, task in enumerate(clock.met_by):
                if self._kind(task) != "userTask":
                    self.report((*path, "met_by", position),
                                f"clock '{clock.name}': '{task}' is not a user task")

    def _breach_timer(self, path: tuple[str | int, ...], name: str, timer: str,
                      limit: str) -> None:
        found = self.elements.get(timer)
        definition = (found[1].find("bpmn:timerEventDefinition", NS)
                      if found is not None else None)
        if definition is None:
            self.report((*path, "breach_timer"), f"clock '{name}': '{timer}' is not a timer "
                                                 "event in the diagram")
            return
        duration = definition.find("bpmn:timeDuration", NS)
        if duration is None or (duration.text or "").strip() != limit:
            self.report((*path, "breach_timer"), f"clock '{name}': the timer '{timer}' must "
                                                 f"wait for '{limit}' (its time duration)")

    def _parties(self) -> None:
        keys: set[str] = set()
        for index, party in enumerate(self.scheme.parties):
            if party.key in keys:
                self.report(("parties", index, "key"), f"party '{party.key}' is declared twice")
            keys.add(party.key)
            if party.field not in self.fields:
                self.report(("parties", index, "field"), f"party '{party.key}': no form has a "
                                                         f"field '{party.field}'")
            for role in party.hidden_from:
                if self.roles is not None and role not in self.roles:
                    self.report(("parties", index, "hidden_from"), f"'{role}' is not a role")
            for kind, name in party.search.items():
                known = _person_fields(self.forms, party.field)
                if party.field in self.fields and name not in known:
                    self.report(("parties", index, "search", kind),
                                f"party '{party.key}': no form has a field '{name}' in "
                                f"'{party.field}' (its {kind.replace('_', ' ')})")

    def _s62(self) -> None:
        for operation in S62_OPERATIONS:
            for index, entry in enumerate(self.doc.get("s62", {}).get(operation, [])):
                task = entry["task"] if isinstance(entry, Mapping) else entry
                if self._kind(task) != "userTask":
                    self.report(("s62", operation, index), f"s62 {operation}: '{task}' is not "
                                                           "a user task in the diagram")
                recipient = entry.get("recipient") if isinstance(entry, Mapping) else None
                if recipient and self.scheme.party(recipient) is None:
                    self.report(("s62", operation, index, "recipient"),
                                f"recipient '{recipient}' is not a declared party")

    def _risk_markers(self) -> None:
        for index, marker in enumerate(self.scheme.risk_markers):
            if marker.field.split(".")[0] not in self.fields:
                self.report(("risk_markers", index, "field"), f"risk marker '{marker.name}': no "
                                                              f"form has a field "
                                                              f"'{marker.field}'")

    def _outcomes(self) -> None:
        declared = self.scheme.outcomes
        for code, outcome in declared.items():
            for category in outcome.counts:
                if category not in self.scheme.returns:
                    self.report(("outcomes", code, "counts"), f"outcome '{code}' counts for "
                                                              f"'{category}', which is not in "
                                                              "\"returns\"")
        check_rules(self.scheme.return_rules, declared,
                    lambda name: name.split(".")[0] in self.fields, self.report)
        appended = dict(_appended_codes(self.bpmn))
        for code, (file, element) in appended.items():
            if code not in declared:
                self.report.problems.append(Problem(
                    file, element.sourceline, element.get("id"),
                    f"outcome code '{code}' is not declared in scheme.json \"outcomes\" (give "
                    "it a label people read)"))
        for code in declared:
            if appended and code not in appended:
                self.report(("outcomes", code), f"outcome '{code}' is declared but no script "
                                                "appends it", "warning")

    def _messages(self) -> None:
        names = {m.get("name") for r in self.bpmn.values()
                 for m in r.iterfind(".//bpmn:message", NS)}
        for key, message in self.scheme.messages.items():
            if message.message not in names:
                self.report(("messages", key, "message"), f"message '{message.message}' is not "
                                                          "defined in the diagram")


    def _shows(self) -> None:
        for task, references in self.scheme.shows.items():
            if self._kind(task) != "userTask":
                self.report(("shows", task), f"shows: '{task}' is not a user task in the "
                                             "diagram")
            for index, reference in enumerate(references):
                form_file, name = show_reference(reference)
                schema = self.forms.get(form_file)
                if not isinstance(schema, Mapping):
                    self.report(("shows", task, index), f"shows: no form '{form_file}' for "
                                                        f"'{reference}'")
                elif name is not None and name not in set(_properties(schema)):
                    self.report(("shows", task, index), f"shows: the form '{form_file}' has "
                                                        f"no field '{name}'")


def parameter_value_problem(parameter: Parameter, value: Any) -> str | None:
    """Why ``value`` is not valid for a declared parameter (None when it is)."""
    return _bad_default(parameter.type, value, parameter.options)


def _bad_default(kind: str, default: Any, options: Mapping[str, str]) -> str | None:
    if kind == "duration":
        ok = default is None or (isinstance(default, str) and _DURATION.match(default))
        return None if ok else f"'{default}' is not a duration such as PT24H or P28D"
    if kind == "choice":
        return None if str(default) in options else "the default is not one of its options"
    if kind == "steps":
        ok = isinstance(default, list) and all(str(s) in options for s in default)
        return None if ok else "the default must list some of its options"
    if kind == "flag":
        return None if isinstance(default, bool) else "the default must be true or false"
    return None if isinstance(default, str | type(None)) else "the default must be text"


def _form_fields(forms: Mapping[str, Any]) -> set[str]:
    fields: set[str] = set()
    for schema in forms.values():
        if isinstance(schema, Mapping):
            fields.update(_properties(schema))
    return fields


def _property_nodes(node: Mapping[str, Any], name: str) -> Iterator[Mapping[str, Any]]:
    """The schemas of the property ``name`` of ``node`` (in its branches too)."""
    props = node.get("properties")
    if isinstance(props, Mapping) and isinstance(props.get(name), Mapping):
        yield props[name]
    for key in ("allOf", "oneOf", "anyOf", "then", "else"):
        subs = node.get(key) or []
        for sub in subs if isinstance(subs, list) else [subs]:
            if isinstance(sub, Mapping):
                yield from _property_nodes(sub, name)


def _person_fields(forms: Mapping[str, Any], name: str) -> set[str]:
    """The fields of the person (an object, or a list of them) recorded in the field ``name``."""
    fields: set[str] = set()
    for schema in forms.values():
        if not isinstance(schema, Mapping):
            continue
        for node in _property_nodes(schema, name):
            items = node.get("items")
            fields.update(_properties(items if isinstance(items, Mapping) else node))
    return fields


def _properties(node: Mapping[str, Any]) -> Iterator[str]:
    props = node.get("properties")
    if isinstance(props, Mapping):
        yield from props
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in node.get(key) or []:
            if isinstance(sub, Mapping):
                yield from _properties(sub)
    for key in ("then", "else"):
        sub = node.get(key)
        if isinstance(sub, Mapping):
            yield from _properties(sub)


def _appended_codes(bpmn: Mapping[str, etree._Element]) -> Iterator[tuple[str, Any]]:
    """Outcome codes written as literals in scripts that change ``outcome_codes``."""
    for file, root in bpmn.items():
        for script in root.iter(*_SCRIPTS):
            text = script.text or ""
            if "outcome_codes" not in text:
                continue
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError):
                continue  # the lint reports the script itself
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and _CODE.match(node.value)):
                    yield node.value, (file, script.getparent())
