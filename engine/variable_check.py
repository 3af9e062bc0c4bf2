"""Variables that the diagram reads but nothing provides.

Instructions (Jinja), conditions, scripts, timers and DMN input expressions read variables from
the case's data. A variable is provided when a form has a field of that name, a script (or a
task's before/after script) assigns it, a DMN table outputs it, a message event stores its
payload in it, a data object or multi-instance item is named so, or the service puts it into
every case at start (the scheme's declared parameters and ``outcome_codes``: ``start_names``).
The check is not flow-sensitive: a variable provided anywhere in the definition counts as
provided everywhere (a stage's data passes to and from its call activities). Without a
readable scheme.json the data a case starts with is not declared (an engine-level caller may
pass any), so the problems are warnings there.

Templates are parsed, never compiled here: ``jinja2.meta.find_undeclared_variables`` runs the
code generator, which folds constant expressions (``{{ 10**10**7 }}`` would hang the check).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from jinja2 import nodes
from lxml import etree

from engine.check_words import capital, code_place, label
from engine.lint import BPMN, NS, SPIFF, Problem
from engine.sandbox_policy import HELPERS, _build_globals
from engine.scheme import DECLARATION_FILE
from engine.scheme_check import _form_fields
from engine.template_env import ENV

_SANDBOX_NAMES = frozenset(_build_globals(HELPERS)) | frozenset(
    _build_globals()["__builtins__"])
_TEMPLATE_NAMES = frozenset(ENV.globals) | {"loop", "self", "caller", "varargs", "kwargs"}
_PROVIDING_TAGS = ("messageVariable", "variableName", "resultVariable")


def check_variables(roots: Mapping[str, etree._Element], files: Mapping[str, bytes], *,
                    forms: Mapping[str, Any], start_names: Collection[str]) -> list[Problem]:
    """A problem for each variable an element reads that nothing in the definition provides;
    ``forms`` are the definition's forms that parse (a broken form is reported on its own)."""
    declared, parameters = _declared_parameters(files)
    provided = set(start_names) | parameters | _form_fields(forms)
    severity = "error" if declared else "warning"
    bpmn = {f: r for f, r in roots.items() if etree.QName(r).namespace == BPMN}
    for root in roots.values():
        provided |= _provided(root)
    problems: list[Problem] = []
    seen: set[tuple[str, int | None, str]] = set()
    for file, root in roots.items():
        reads = _template_reads(root) if file in bpmn else iter(())
        for el, line, name, where in [*reads, *_python_reads(root, file in bpmn)]:
            if name in provided or name.startswith("_") or (file, line, name) in seen:
                continue
            seen.add((file, line, name))
            problems.append(Problem(file, line, _owner_id(el), _message(where, name), severity))
    return problems


def _message(where: str, name: str) -> str:
    verb = "use" if where.startswith("the instructions") else "uses"
    return (f"{capital(where)} {verb} '{name}', but no form, script, decision table or scheme "
            f"setting gives '{name}' a value, so it will always be empty or fail. Check the "
            f"spelling, or add a field called '{name}' to the form of a task that comes "
            "before it.")


def _owner_id(el: etree._Element) -> str | None:
    node: etree._Element | None = el
    while node is not None:
        if node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return None


def _declared_parameters(files: Mapping[str, bytes]) -> tuple[bool, set[str]]:
    """Whether scheme.json declares what a case starts with, and its parameters' names (read
    leniently: a declaration with mistakes is reported on its own)."""
    try:
        doc = json.loads(files[DECLARATION_FILE])
    except (KeyError, ValueError, UnicodeDecodeError, RecursionError):
        return False, set()
    parameters = doc.get("parameters") if isinstance(doc, Mapping) else None
    return True, set(parameters) if isinstance(parameters, Mapping) else set()


def _provided(root: etree._Element) -> set[str]:
    names: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("script", "preScript", "postScript"):
            tree = _python(el.text or "", "exec")
            if tree is not None:
                names |= _stored(tree)
        elif local in _PROVIDING_TAGS and etree.QName(el).namespace == SPIFF:
            names.add((el.text or "").strip())
        elif local in ("dataObject", "dataObjectReference", "dataInput", "dataOutput",
                       "inputDataItem", "outputDataItem"):
            names.update(v for v in (el.get("id"), el.get("name")) if v)
        elif local in ("loopDataOutputRef", "loopDataInputRef"):
            names.add((el.text or "").strip())
        elif local == "output" and el.get("name"):  # a DMN output column
            names.add(el.get("name").split(".")[0])
    return names


def _python(source: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(source.strip(), mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the lint reports code that does not compile


def _stored(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _python_reads(root: etree._Element,
                  is_bpmn: bool) -> Iterator[tuple[etree._Element, int | None, str, str]]:
    for el, mode in _python_sources(root, is_bpmn):
        source = el.text or ""
        tree = _python(source, mode)
        if tree is None:
            continue
        local = _stored(tree) | _SANDBOX_NAMES
        offset = source[:len(source) - len(source.lstrip())].count("\n")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    node.id not in local:
                line = (el.sourceline or 1) + offset + node.lineno - 1
                yield el, line, node.id, code_place(el)


def _python_sources(root: etree._Element,
                    is_bpmn: bool) -> Iterator[tuple[etree._Element, str]]:
    if not is_bpmn:
        for el in root.iter():
            if isinstance(el.tag, str) and etree.QName(el).localname == "text" and \
                    el.getparent() is not None and \
                    etree.QName(el.getparent()).localname == "inputExpression":
                yield el, "eval"
        return
    for tag in ("conditionExpression", "timeDuration", "timeDate", "timeCycle",
                "loopCardinality", "completionCondition"):
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            yield el, "eval"
    for el in root.iterfind(".//spiffworkflow:messagePayload", NS):
        yield el, "eval"
    for el in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        yield el, "exec"
    for tag in ("preScript", "postScript"):
        for el in root.iterfind(f".//spiffworkflow:{tag}", NS):
            yield el, "exec"


def _template_reads(root: etree._Element) -> Iterator[tuple[etree._Element, int | None, str,
                                                            str]]:
    for el in root.iterfind(".//spiffworkflow:instructionsForEndUser", NS):
        try:
            tree = ENV.parse(el.text or "")
        except Exception:  # noqa: BLE001, S112 - the lint reports a template that does not parse
            continue
        task = el.getparent().getparent()
        local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for node in tree.find_all(nodes.Name):
            if node.ctx == "load" and node.name not in local | _TEMPLATE_NAMES:
                line = (el.sourceline or 1) + node.lineno - 1
                yield el, line, node.name, f"the instructions of {label(task)}"
