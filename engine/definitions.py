"""Load process definitions safely, validate them (XSD + lint) and identify them by content hash."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine import construct_check, serializer
from engine.bpmn_parser import DefinitionParser
from engine.definition_problems import from_validation, locate, one_line, unreadable
from engine.diagram_checks import check_diagrams
from engine.errors import EngineError
from engine.form_rules import ui_problems
from engine.form_schema import (
    MAX_DEPTH,
    SchemaProblem,
    depth_exceeds,
    oversize_problems,
    pointer,
    schema_problems,
)
from engine.json_lines import JsonLines
from engine.letter_check import check_letters
from engine.lint import BPMN, FORM_PROPERTY, UI_PROPERTY, Problem, lint
from engine.process_files import (
    FORM_SUFFIX,
    PROCESS_SUFFIXES,
    UI_SUFFIX,
    is_bpmn_file,
    is_process_file,
    ui_form_names,
    unlaned_user_tasks,
)
from engine.process_files import read_folder as _read_definition_files
from engine.scenario_file import check_scenarios
from engine.scheme import DECLARATION_FILE, Scheme
from engine.scheme_check import check_declaration
from engine.xml_safety import XmlProblem, parse_xml

__all__ = ["PROCESS_SUFFIXES", "Definition", "DefinitionInvalid", "check_files", "load_files",
           "load_folder", "read_folder"]
DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/", "https://www.omg.org/spec/DMN/")

class DefinitionInvalid(EngineError):
    """The definition has errors; ``problems`` lists each with file, line and element."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("definition_invalid",
                         f"{len(errors)} problem(s) in the process definition: "
                         + "; ".join(_located(p) for p in errors[:5]))
        self.problems = problems


def _located(problem: Problem) -> str:
    """``file:line: element: message``; line 1 when the problem has no element, never 0."""
    if problem.file == "-":
        return f"{problem.element_id or '-'}: {problem.message}"
    return f"{problem.file}:{problem.line or 1}: {problem.element_id or '-'}: {problem.message}"


@dataclass(frozen=True, eq=False)
class Definition:
    """One immutable version of a process: its files, forms and parsed spec."""

    process_id: str
    content_hash: str
    files: Mapping[str, bytes]
    forms: Mapping[str, dict[str, Any]]
    ui_forms: Mapping[str, dict[str, Any]]
    warnings: tuple[Problem, ...]
    spec: Any = field(repr=False)
    subprocess_specs: Mapping[str, Any] = field(repr=False)
    scheme: Scheme = field(default_factory=Scheme.empty, repr=False)

    def form_for(self, form_file: str | None) -> dict[str, Any] | None:
        return self.forms.get(form_file or "")

    def ui_for(self, form_file: str | None, ui_file: str | None = None) -> dict[str, Any] | None:
        """A form's UI schema: the one the task names, else ``<form>.ui.json`` beside it."""
        name = ui_file or (form_file or "").removesuffix(FORM_SUFFIX) + UI_SUFFIX
        return self.ui_forms.get(name)

    def task_form_files(self, task_id: str) -> tuple[str, str]:
        """The form and UI schema file names of a user task, by its BPMN id ("" when none)."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            task_spec = spec.task_specs.get(task_id)
            if task_spec is not None:
                props = getattr(task_spec, "extensions", {}).get("properties", {})
                return (props.get("formJsonSchemaFilename") or "",
                        props.get("formUiSchemaFilename") or "")
        return "", ""

    def task_instructions(self, task_id: str) -> str:
        """The instructions template of a user task, by its BPMN id ("" when none)."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            task_spec = spec.task_specs.get(task_id)
            if task_spec is not None:
                return getattr(task_spec, "extensions", {}).get("instructionsForEndUser") or ""
        return ""

    def task_lane(self, task_id: str) -> str | None:
        """The lane of a task, by its BPMN id (None when it has none or does not exist)."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            task_spec = spec.task_specs.get(task_id)
            if task_spec is not None:
                return getattr(task_spec, "lane", None)
        return None

    def spec_json(self) -> str:
        return serializer.spec_json(self.spec, self.subprocess_specs)

    def stage_names(self) -> tuple[str, ...]:
        """Names of the top-level process's stages (its call activities and subprocesses)."""
        from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import (
            EventSubprocess,
            SubWorkflowTask,
        )

        return tuple(sorted({str(ts.bpmn_name) for ts in self.spec.task_specs.values()
                             if isinstance(ts, SubWorkflowTask) and ts.bpmn_name
                             and not isinstance(ts, EventSubprocess)}))

    def bpmn_files(self) -> dict[str, bytes]:
        return {n: b for n, b in self.files.items() if is_bpmn_file(n)}


def content_hash(files: Mapping[str, bytes]) -> str:
    """sha256 over every file name and its bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


_cache: dict[str, Definition] = {}
_cache_lock = threading.Lock()


def read_folder(path: str | Path) -> dict[str, bytes]:
    """Read a process folder (engine/process_files.py: our layout and SpiffArena's)."""
    base = Path(path)
    if not base.is_dir():
        raise EngineError("not_found", f"{base} is not a folder")
    return _read_definition_files(base)


def load_folder(path: str | Path, process_id: str | None = None, *,
                lanes: Collection[str] | None = None,
                roles: Collection[str] | None = None) -> Definition:
    """Load and validate the definition in a folder; the process id defaults to the folder name."""
    base = Path(path)
    return load_files(read_folder(base), process_id or base.name, lanes=lanes, roles=roles)


def load_files(files: Mapping[str, bytes], process_id: str, *,
               lanes: Collection[str] | None = None,
               roles: Collection[str] | None = None, default_role: str = "") -> Definition:
    """Validate ``files`` and return the definition; raise DefinitionInvalid listing problems.

    ``roles``: the product's roles; given, the definition must declare its scheme (scheme.json)
    and map every lane to one of them. ``lanes``: without a declaration, the lane names allowed.
    ``default_role``: as in ``check_files`` (a declaration's ``default_role`` is read anyway).
    """
    key = content_hash(files)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached.process_id == process_id and (
            roles is None or cached.scheme.declared):
        return cached
    problems, parsed = _check(files, process_id, lanes, roles, default_role)
    if parsed is None or any(p.severity == "error" for p in problems):
        raise DefinitionInvalid(problems)
    spec, subs, forms, ui_forms, scheme = parsed
    definition = Definition(process_id, key, dict(files), forms, ui_forms,
                            tuple(problems), spec, subs, scheme)
    serializer.register_spec(key, spec, subs)
    with _cache_lock:
        _cache[key] = definition
    return definition


def check_files(files: Mapping[str, bytes], process_id: str | Sequence[str] | None = None, *,
                lanes: Collection[str] | None = None,
                roles: Collection[str] | None = None, default_role: str = "") -> list[Problem]:
    """Every problem in ``files`` (errors and warnings), without raising.

    ``process_id``: the top-level process, or several (each built and checked), or None for the
    only one the files hold; an empty sequence builds none (DMN tables checked alone).
    ``default_role``: user tasks outside any lane are worked by it (as scheme.json's
    ``default_role`` declares), so they need no lane."""
    return _check(files, process_id, lanes, roles, default_role)[0]


def _check(files: Mapping[str, bytes], process_id: str | Sequence[str] | None,
           lanes: Collection[str] | None, roles: Collection[str] | None,
           default_role: str = "") -> tuple[list[Problem], Any]:
    problems: list[Problem] = []
    roots = _parse_roots(files, problems)
    parse_failed = bool(problems)
    forms, ui_forms = _load_forms(files, problems, ui_form_names(roots))
    form_files = {n.removeprefix("forms/") for n in files if n.startswith("forms/")}
    scheme, declared = check_declaration(files.get(DECLARATION_FILE), roots, forms, roles=roles,
                                         required=roles is not None)
    problems.extend(declared)
    if scheme.declared:
        lanes = scheme.lanes.keys()
    # Expressions are tried on the declared parameters' defaults (the national values).
    lint_data = {**scheme.defaults(), "outcome_codes": []}
    construct_check.quote_timer_literals(roots)
    linted = lint(roots, form_files=form_files, lint_data=lint_data, lanes=lanes)
    if scheme.default_role or default_role:
        unlaned = unlaned_user_tasks(roots)
        linted = [p for p in linted if not (p.element_id in unlaned and "lane" in p.message)]
    problems.extend(linted)
    problems.extend(check_diagrams(roots, files, forms=forms, start_names=lint_data.keys()))
    problems.extend(check_scenarios(files, roots, scheme))
    problems.extend(check_letters(files, roots, scheme, forms))
    checked = {id(p) for p in problems}
    problems = construct_check.review(roots, problems)
    # A refused construct may have been taken out of ``roots``: SpiffWorkflow's words on what
    # is left of it would only confuse, so the process is not built.
    refusals = any(id(p) not in checked and p.severity == "error" for p in problems)
    parser = DefinitionParser(validator=VALIDATOR)
    unread = len(problems)
    for name, root in roots.items():
        try:
            if etree.QName(root).namespace == BPMN:
                parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
            else:
                parser.add_dmn_xml(root, filename=name)
        except ValidationException as exc:
            problems.append(from_validation(exc, name, roots))
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parser fails in many ways
            problems.append(unreadable(name, root, exc))
    if parse_failed or len(problems) > unread or not roots or refusals:
        return problems, None
    # Built even when the lint found errors, so that what SpiffWorkflow refuses is said too.
    ids = [process_id] if isinstance(process_id, str) else process_id
    built = _build_spec(parser, ids, roots, problems)
    # What the checks above refused on an element, SpiffWorkflow's words need not repeat.
    # An unlocated one (e.g. "The process 'x' was not found" for a call the lint named at its
    # element) adds nothing beside the checks' own errors.
    refused = {p.element_id for p in problems[:unread] if p.severity == "error" and p.element_id}
    checked = any(p.severity == "error" for p in problems[:unread])
    problems[unread:] = [p for p in problems[unread:] if p.element_id not in refused
                         and not (checked and p.element_id is None)]
    if built is None or any(p.severity == "error" for p in problems):
        return problems, None
    spec, subs = built
    problems.extend(_check_form_properties(spec, subs, forms))
    return problems, (spec, subs, forms, ui_forms, scheme)


def _parse_roots(files: Mapping[str, bytes], problems: list[Problem]) -> dict[str, Any]:
    """Parse every BPMN/DMN file; a root in neither namespace is reported and left out."""
    roots: dict[str, etree._Element] = {}
    for name, data in files.items():
        if not is_process_file(name):
            continue
        try:
            root = parse_xml(data, name)
        except XmlProblem as exc:
            problems.append(Problem(exc.file, exc.line or 1, None, exc.message))
            continue
        namespace = etree.QName(root).namespace or ""
        if namespace != BPMN and not namespace.startswith(DMN_NAMESPACES):
            found = f"<{etree.QName(root).localname}>" + (
                f" in namespace {namespace}" if namespace else " in no namespace")
            problems.append(Problem(name, root.sourceline or 1, None, one_line(
                f"this is not a BPMN or DMN file: the root element is {found}; a BPMN file "
                f"starts with <definitions xmlns=\"{BPMN}\">")))
            continue
        roots[name] = root
    if not any(is_process_file(n) for n in files):
        problems.append(Problem("-", None, None, "no .bpmn file in the definition"))
    return roots


def _build_spec(parser: DefinitionParser, process_ids: Sequence[str] | None,
                roots: Mapping[str, Any], problems: list[Problem]) -> tuple[Any, Any] | None:
    """Build each top-level process; return the first one's spec and subprocess specs."""
    if process_ids is None:
        process_ids = parser.get_process_ids()
        if len(process_ids) > 1:
            where, line = locate(roots, process_ids[0])
            problems.append(Problem(where, line, None, one_line(
                "several processes (" + ", ".join(process_ids[:5]) + "): name the top-level "
                "one")))
            return None
    if not process_ids:
        bpmn = next((n for n in roots if is_bpmn_file(n)), None)
        if bpmn is not None:
            problems.append(Problem(bpmn, roots[bpmn].sourceline or 1, None,
                                    "the diagram has no process: draw one with a start event"))
        return None
    built = None
    for process_id in process_ids:
        try:
            spec = parser.get_spec(process_id)
            subs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            problems.append(from_validation(exc, exc.file_name or "-", roots))
            continue
        except Exception as exc:  # noqa: BLE001 - any parser failure is a definition problem
            where, line = locate(roots, process_id)
            problems.append(Problem(where, line, process_id, one_line(
                f"the process cannot be built: {type(exc).__name__}: {exc}")))
            continue
        built = built or (spec, subs)
    return built


_TOO_DEEP = object()


def _load_forms(files: Mapping[str, bytes], problems: list[Problem],
                ui_names: Collection[str] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Forms and UI schemas: ``*.schema.json`` / ``*.ui.json``, or any other ``.json`` by how
    the diagram names it (SpiffArena's ``name.json`` / ``name_ui.json``)."""
    forms: dict[str, Any] = {}
    ui_forms: dict[str, Any] = {}
    for name, data in files.items():
        if not name.startswith("forms/"):
            continue
        short = name.removeprefix("forms/")
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, getattr(exc, "lineno", None), None,
                                    f"not valid JSON: {exc}"))
            continue
        except RecursionError:
            doc = _TOO_DEEP
        is_form = short.endswith(FORM_SUFFIX) or (
            not short.endswith(UI_SUFFIX) and short not in ui_names)
        if doc is _TOO_DEEP or (not is_form and depth_exceeds(doc)):
            problems.append(Problem(name, None, None, f"nested deeper than {MAX_DEPTH} levels"))
            continue
        if is_form:
            refused = _form_schema_problems(doc)
            if refused:
                problems.extend(Problem(name, None, p.pointer or None, p.message)
                                for p in refused)
                continue
            forms[short] = doc
        else:
            ui_forms[short] = doc
    for short, doc in ui_forms.items():
        name = f"forms/{short}"
        schema = forms.get(short.removesuffix(UI_SUFFIX) + FORM_SUFFIX)
        problems.extend(_ui_problem(name, files[name], where, message)
                        for where, message in ui_problems(doc, schema))
    return forms, ui_forms


def _ui_problem(name: str, data: bytes, where: tuple[str | int, ...], message: str) -> Problem:
    """A broken declaration in a UI schema, at its line (``/a/b: message``)."""
    line = JsonLines(data.decode("utf-8", "replace")).line(where)
    return Problem(name, line, None, f"/{'/'.join(map(str, where))}: {message}")


def _form_schema_problems(doc: Any) -> list[SchemaProblem]:
    """Size and depth first (the meta-schema check costs in proportion), then meta-schema
    errors (patterns are left to RE2, not Python's re), then what makes a valid schema unsafe."""
    oversize = oversize_problems(doc)
    if oversize:
        return oversize
    try:
        Draft202012Validator.check_schema(doc, format_checker=FormatChecker(formats=()))
    except SchemaError as exc:
        return [SchemaProblem(pointer(tuple(map(str, exc.path))),
                              f"not a valid JSON Schema: {exc.message[:300]}")]
    return schema_problems(doc)


def _check_form_properties(spec: Any, subs: Mapping[str, Any],
                           forms: Mapping[str, Any]) -> list[Problem]:
    """Forms may not use keys the serializer or the sandbox would misread."""
    problems = []
    for s in [spec, *subs.values()]:
        for task_spec in s.task_specs.values():
            props = getattr(task_spec, "extensions", {}).get("properties", {})
            for key in (FORM_PROPERTY, UI_PROPERTY):
                schema = forms.get(props.get(key, ""))
                if schema is None:
                    continue
                for bad in _bad_keys(schema.get("properties", {})):
                    problems.append(Problem(f"forms/{props[key]}", None, task_spec.bpmn_id,
                                            f"form field '{bad}' is not allowed (reserved name)"))
    return problems


def _bad_keys(properties: Mapping[str, Any]) -> list[str]:
    bad = []
    for key, sub in properties.items():
        if key == "typename" or key.startswith("_"):
            bad.append(key)
        if isinstance(sub, Mapping):
            bad.extend(_bad_keys(sub.get("properties", {})))
            items = sub.get("items")
            if isinstance(items, Mapping):
                bad.extend(_bad_keys(items.get("properties", {})))
    return bad
