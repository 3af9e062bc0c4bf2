"""Exclusive gateways whose conditions may all be false with no default way out: SpiffWorkflow
then stops the case with an error. A warning, unless the conditions provably cover every case
(see docs/process-checks.md for what counts as proof)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from engine.check_words import label
from engine.lint import NS, Problem

_NEGATED = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
            ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
            ast.In: ast.NotIn, ast.NotIn: ast.In}


def open_gateways(file: str, root: etree._Element,
                  forms: Mapping[str, Any]) -> Iterator[Problem]:
    """A warning for each exclusive gateway in ``root`` whose ways out may all be closed."""
    flows: dict[str, list[etree._Element]] = {}
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        flows.setdefault(flow.get("sourceRef") or "", []).append(flow)
    for gateway in root.iterfind(".//bpmn:exclusiveGateway", NS):
        problem = _open_gateway(file, gateway, flows.get(gateway.get("id") or "", []), forms)
        if problem is not None:
            yield problem


def _open_gateway(file: str, gateway: etree._Element, flows: list[etree._Element],
                  forms: Mapping[str, Any]) -> Problem | None:
    """A warning when no condition on an exclusive gateway's ways out need hold and none is
    the default (SpiffWorkflow then stops the case with an error)."""
    if gateway.get("default"):
        return None
    conditions = []
    for flow in flows:
        expression = flow.find("bpmn:conditionExpression", NS)
        if expression is None or not (expression.text or "").strip():
            return None  # a way out with no condition: SpiffWorkflow refuses it itself
        conditions.append(expression.text.strip())
    if not conditions or _covers(conditions, forms):
        return None
    return Problem(file, gateway.sourceline, gateway.get("id"),
                   f"None of the conditions on the ways out of {label(gateway)} need hold, and "
                   "none of them is the default: a case for which all are false would stop "
                   "here with an error. Make one way out the default (select its arrow, "
                   "choose the spanner icon, then 'Default Flow'), or add conditions that "
                   "cover every case.", "warning")


def _parsed(source: str) -> ast.expr | None:
    try:
        return ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _covers(conditions: list[str], forms: Mapping[str, Any]) -> bool:
    """True when the conditions provably cover every case: one is always true, one is the
    negation of another, two are opposite comparisons, or equality tests cover every option
    of a form field (its enum, or true and false for a yes/no field)."""
    trees = [t for t in map(_parsed, conditions) if t is not None]
    dumps = {ast.dump(t) for t in trees}
    for tree in trees:
        if isinstance(tree, ast.Constant) and tree.value is True:
            return True
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not) and \
                ast.dump(tree.operand) in dumps:
            return True
        if isinstance(tree, ast.Compare) and len(tree.ops) == 1:
            opposite = _NEGATED.get(type(tree.ops[0]))
            if opposite is not None and ast.dump(ast.Compare(
                    tree.left, [opposite()], tree.comparators)) in dumps:
                return True
    return _covers_options(trees, forms)


def _covers_options(trees: list[ast.expr], forms: Mapping[str, Any]) -> bool:
    tested: dict[str, set[Any]] = {}
    for tree in trees:
        for name, values in _equalities(tree):
            tested.setdefault(name, set()).update(values)
    for name, values in tested.items():
        options = _options(name, forms)
        if options and all(_hashable(o) in values for o in options):
            return True
    return False


def _equalities(tree: ast.expr) -> Iterator[tuple[str, set[Any]]]:
    """(field, values) for ``field == value``, ``value == field``, ``field in (values)``, a bare
    ``field`` (true) and ``not field`` (false), joined by ``or``."""
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.Or):
        for value in tree.values:
            yield from _equalities(value)
    elif isinstance(tree, ast.Name):
        yield tree.id, {True}
    elif isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not) and \
            isinstance(tree.operand, ast.Name):
        yield tree.operand.id, {False}
    elif isinstance(tree, ast.Compare) and len(tree.ops) == 1:
        left, op, right = tree.left, tree.ops[0], tree.comparators[0]
        if isinstance(op, ast.Eq | ast.Is):
            if isinstance(right, ast.Name):
                left, right = right, left
            if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
                yield left.id, {_hashable(right.value)}
        elif isinstance(op, ast.In) and isinstance(left, ast.Name) and \
                isinstance(right, ast.List | ast.Tuple | ast.Set) and \
                all(isinstance(e, ast.Constant) for e in right.elts):
            yield left.id, {_hashable(e.value) for e in right.elts}  # type: ignore[attr-defined]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def _options(name: str, forms: Mapping[str, Any]) -> list[Any]:
    """Every value a form field can take, when a form limits it (enum, const options, yes/no)."""
    for schema in forms.values():
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        field_schema = props.get(name) if isinstance(props, Mapping) else None
        if not isinstance(field_schema, Mapping):
            continue
        if isinstance(field_schema.get("enum"), list):
            return list(field_schema["enum"])
        for key in ("oneOf", "anyOf"):
            branches = field_schema.get(key)
            if isinstance(branches, list) and branches and all(
                    isinstance(b, Mapping) and "const" in b for b in branches):
                return [b["const"] for b in branches]
        if field_schema.get("type") == "boolean":
            return [True, False]
    return []
