"""Follow-up questions: the fields a form shows only when an answer holds.

A form says so in JSON Schema, on the object that holds both fields::

    "allOf": [{"if": {"properties": {"in_scope": {"const": false}}, "required": ["in_scope"]},
               "then": {"required": ["out_of_scope_reason"]}}]

``out_of_scope_reason`` (a property of the same object, not required by it otherwise) is then
revealed under the "No" answer of ``in_scope`` (``const`` or ``enum`` values), required only
then, and dropped from the submitted data when the answer does not hold, so the server checks
only what applies. Other ``if``/``then`` shapes are validated as written and reveal nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.form_messages import resolve


@dataclass(frozen=True, slots=True)
class Reveal:
    """Show ``fields`` when the answer to ``controller`` is one of ``values``."""

    controller: str
    values: tuple[Any, ...]
    fields: tuple[str, ...]


def reveals(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[Reveal]:
    """The follow-up questions an object schema declares, in declaration order."""
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return []
    required = set(node.get("required") or ())
    found = []
    for key, values, named in _conditions(node, root):
        shown = tuple(f for f in named if f in props and f != key and f not in required)
        if key in props and shown:
            found.append(Reveal(key, values, shown))
    return found


def _conditions(node: Mapping[str, Any], root: Mapping[str, Any]) -> Iterator[
        tuple[str, tuple[Any, ...], list[str]]]:
    branches = [node, *(resolve(b, root) for b in node.get("allOf") or () if
                        isinstance(b, Mapping))]
    for branch in branches:
        test, then = branch.get("if"), branch.get("then")
        if not (isinstance(test, Mapping) and isinstance(then, Mapping)):
            continue
        tested = test.get("properties")
        if not (isinstance(tested, Mapping) and len(tested) == 1):
            continue
        (key, rule), = tested.items()
        rule = rule if isinstance(rule, Mapping) else {}
        values = ((rule["const"],) if "const" in rule else
                  tuple(rule["enum"]) if isinstance(rule.get("enum"), list) else ())
        shown = [f for f in then.get("required") or () if isinstance(f, str)]
        if values and shown:
            yield key, values, shown


def hidden_fields(node: Mapping[str, Any], root: Mapping[str, Any],
                  answers: Mapping[str, Any]) -> set[str]:
    """Follow-up fields whose condition does not hold for ``answers`` (their values drop)."""
    rules = reveals(node, root)
    shown = {f for r in rules if _holds(answers.get(r.controller), r.values) for f in r.fields}
    return {f for r in rules for f in r.fields} - shown


def _holds(answer: Any, values: tuple[Any, ...]) -> bool:
    # True == 1 in Python; JSON keeps them apart
    return any(answer == v and isinstance(answer, bool) == isinstance(v, bool) for v in values)
