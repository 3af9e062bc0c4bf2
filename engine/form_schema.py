"""Form schemas come from diagrams and are hostile input: refuse, when saved, what is unsafe.

A form may only ``$ref`` a schema in the same document (``#`` or ``#/json/pointer``), the refs
may not form a cycle or blow up when followed, patterns must compile in RE2 (linear time, no
look-around or back-references), and nesting and size are bounded. What passes renders and
validates in bounded work (``engine.form_validation`` enforces the run-time side).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import re2  # type: ignore[import-untyped]

MAX_DEPTH = 64  # nesting of a form schema, or of the data submitted to it
# The national process's largest form has 46 schemas and about 300 values. Checking a schema
# against the 2020-12 meta-schema costs about 1.5 ms per subschema on a loaded machine, so these
# caps keep a save's check under about a second.
MAX_SCHEMA_NODES = 500
MAX_SCHEMA_VALUES = 10_000
MAX_REFS = 200
MAX_EXPANDED_NODES = 5_000  # subschemas once every $ref is followed (the rendered form)
RE2_MAX_MEMORY = 8 << 20
DIALECTS = frozenset({"https://json-schema.org/draft/2020-12/schema",
                      "https://json-schema.org/draft/2020-12/schema#"})

_ONE = ("additionalItems", "additionalProperties", "contains", "else", "if", "items", "not",
        "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED = ("$defs", "definitions", "dependentSchemas", "patternProperties", "properties")
# Anchors and dynamic refs would make "#..." mean something other than a JSON pointer; the
# 'unevaluated...' keywords re-walk every applicator and the form renderer ignores them.
_REFUSED = ("$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveAnchor", "$recursiveRef",
            "unevaluatedItems", "unevaluatedProperties")

Path = tuple[str, ...]


@dataclass(frozen=True)
class SchemaProblem:
    """``pointer`` is the JSON pointer of the offending keyword in the form file."""

    pointer: str
    message: str


class PatternRefused(ValueError):
    """RE2 cannot compile the pattern (unsupported syntax, or too big)."""


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The RE2 program for a JSON Schema pattern; raise PatternRefused if RE2 refuses it."""
    options = re2.Options()
    options.max_mem = RE2_MAX_MEMORY
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a pattern"
        reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise PatternRefused(reason[:200]) from None


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if lists/objects nest deeper than ``limit`` (iterative: safe on any depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = (node.values() if isinstance(node, Mapping)
                    else node if isinstance(node, list) else None)
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def oversize_problems(doc: Any) -> list[SchemaProblem]:
    """Depth and size first, stopping at the first value past a cap: everything after (the
    meta-schema check included) costs in proportion to them."""
    values, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > MAX_SCHEMA_VALUES:
            return [SchemaProblem("", f"the form has more than {MAX_SCHEMA_VALUES} values")]
        children = (node.values() if isinstance(node, Mapping)
                    else node if isinstance(node, list) else None)
        if children is None:
            continue
        if depth > MAX_DEPTH:
            return [SchemaProblem("", f"the form nests deeper than {MAX_DEPTH} levels")]
        stack.extend((child, depth + 1) for child in children)
    if sum(1 for _ in _subschemas(doc)) > MAX_SCHEMA_NODES:
        return [SchemaProblem("", f"the form has more than {MAX_SCHEMA_NODES} schemas")]
    return []


def pointer(path: Path) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path) if path else ""


def _field(path: Path) -> str:
    """The dotted field a schema path belongs to ('' for the form itself)."""
    names = [path[i + 1] for i in range(len(path) - 1) if path[i] == "properties"
             and (i == 0 or path[i - 1] != "properties")]
    return ".".join(names)


def _subschemas(doc: Any) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Every object in a schema position, with its path (keywords JSON Schema applies)."""
    stack: list[tuple[Path, Any]] = [((), doc)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        yield path, node
        for key in _ONE:
            stack.append(((*path, key), node.get(key)))
        for key in _MANY:
            if isinstance(node.get(key), list):
                stack.extend(((*path, key, str(i)), s) for i, s in enumerate(node[key]))
        for key in _NAMED:
            if isinstance(node.get(key), Mapping):
                stack.extend(((*path, key, str(k)), s) for k, s in node[key].items())


def _ref_target(ref: Any, schema_paths: set[Path]) -> Path | str:
    """The path a same-document ``$ref`` points at, or why it is refused."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return ("only references inside this form are allowed (\"#/$defs/...\"); "
                f"{str(ref)[:100]!r} would make the server fetch another document")
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        return f"{ref[:100]!r} is not a JSON pointer (\"#/$defs/name\")"
    target = tuple(p.replace("~1", "/").replace("~0", "~") for p in fragment.split("/")[1:])
    if target not in schema_paths:
        return f"{ref[:100]!r} does not point at a schema in this form"
    return target


def _keyword_problems(path: Path, node: Mapping[str, Any]) -> Iterator[SchemaProblem]:
    for key in _REFUSED:
        if key in node:
            yield SchemaProblem(pointer((*path, key)), f"'{key}' is not supported in forms")
    if path and ("$id" in node or "$schema" in node):
        yield SchemaProblem(pointer(path), "'$id' and '$schema' are only allowed at the top")
    if not path and "$schema" in node and node["$schema"] not in DIALECTS:
        yield SchemaProblem("/$schema", "forms use JSON Schema 2020-12 "
                                        f"(\"{min(DIALECTS)}\")")
    patterns = [((*path, "pattern"), node["pattern"])] if "pattern" in node else []
    if isinstance(node.get("patternProperties"), Mapping):
        patterns += [((*path, "patternProperties", str(k)), k) for k in node["patternProperties"]]
    for where, pattern in patterns:
        try:
            compile_pattern(str(pattern))
        except PatternRefused as exc:
            field = _field(path)
            yield SchemaProblem(pointer(where), f"{f'field {field!r}' if field else 'the form'}: "
                                f"pattern {str(pattern)[:100]!r} cannot be used ({exc}); "
                                "patterns use RE2 syntax: no look-around or back-references")


def schema_problems(doc: Any) -> list[SchemaProblem]:
    """Why this (already parsed, meta-schema valid) form schema may not be used; [] if it may."""
    oversize = oversize_problems(doc)
    if oversize:
        return oversize
    nodes = dict(_subschemas(doc))
    problems: list[SchemaProblem] = []
    refs: dict[Path, Path] = {}
    for path, node in nodes.items():
        problems.extend(_keyword_problems(path, node))
        if "$ref" in node:
            target = _ref_target(node["$ref"], set(nodes))
            if isinstance(target, str):
                problems.append(SchemaProblem(pointer((*path, "$ref")), target))
            else:
                refs[path] = target
    if len(refs) > MAX_REFS:
        problems.append(SchemaProblem("", f"the form has more than {MAX_REFS} '$ref's"))
    if problems:
        return problems
    return _expansion_problems(sorted(nodes), refs)


def _within(ordered: list[Path], top: Path) -> Iterator[Path]:
    """The paths in ``ordered`` (sorted) at or under ``top``."""
    for path in ordered[bisect.bisect_left(ordered, top):]:
        if path[:len(top)] != top:
            return
        yield path


def _expansion_problems(ordered_nodes: list[Path], refs: Mapping[Path, Path]) -> list[
        SchemaProblem]:
    """Refuse a ``$ref`` cycle, and refs that multiply the form past MAX_EXPANDED_NODES."""
    ordered_refs = sorted(refs)
    cap = MAX_EXPANDED_NODES + 1
    done: dict[Path, int] = {}
    size: dict[Path, int] = {(): sum(1 for _ in _within(ordered_nodes, ()))}
    stack: list[tuple[Path, Iterator[Path]]] = [((), _within(ordered_refs, ()))]
    on_stack = {()}
    while stack:
        top, pending = stack[-1]
        ref = next(pending, None)
        if ref is None:
            stack.pop()
            on_stack.discard(top)
            done[top] = min(size[top], cap)
            if stack:
                size[stack[-1][0]] += done[top]
            continue
        target = refs[ref]
        if target in on_stack:
            return [SchemaProblem(pointer((*ref, "$ref")),
                                  "this '$ref' leads back to itself (a form cannot contain "
                                  "itself)")]
        if target in done:
            size[top] += done[target]
        else:
            on_stack.add(target)
            size[target] = sum(1 for _ in _within(ordered_nodes, target))
            stack.append((target, _within(ordered_refs, target)))
    if done[()] > MAX_EXPANDED_NODES:
        return [SchemaProblem("", f"with its '$ref's followed the form has more than "
                                  f"{MAX_EXPANDED_NODES} schemas")]
    return []
