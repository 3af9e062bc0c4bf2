"""Return categories (``returns`` in scheme.json): what each return counts and by which date.

A category counts a case when every condition it declares holds: one of its ``outcomes`` is
among the case's outcome codes, the latest recorded ``answer`` equals ``equals``, and the
categories named in ``also`` count it too. With no condition it counts every case. ``date``
says which date puts a case in a period: ``opened`` (received) or ``closed`` (completed; the
case must be closed). Kept out of ``scheme.py`` so the declaration and its check stay together.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

OPENED, CLOSED = "opened", "closed"
DATES = (OPENED, CLOSED)
# The category that counts every case in the first declaration format (label only).
LEGACY_EVERY = "applications"

_SLUG = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
FORMAT: dict[str, Any] = {
    "type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,39}$"},
    "additionalProperties": {"oneOf": [_TEXT, {
        "type": "object", "additionalProperties": False, "required": ["label"],
        "properties": {
            "label": _TEXT, "date": {"enum": list(DATES)},
            "outcomes": {"type": "array", "maxItems": 50, "items": _TEXT},
            "answer": {"type": "string", "minLength": 1, "maxLength": 200},
            "equals": {"type": ["boolean", "string", "number"]},
            "also": {"type": "array", "maxItems": 10, "items": _SLUG}},
        "dependentRequired": {"answer": ["equals"], "equals": ["answer"]}}]}}


@dataclass(frozen=True)
class ReturnRule:
    """One return category: its label, its conditions and the date that puts a case in a
    period."""

    key: str
    label: str
    date: str = OPENED
    outcomes: tuple[str, ...] = ()  # any of these codes (with the outcomes whose counts name it)
    answer: str = ""  # a dotted field of a recorded answer
    equals: Any = None
    also: tuple[str, ...] = ()  # categories that must count the case too
    every: bool = False  # no condition: every case

    @property
    def closed_only(self) -> bool:
        return self.date == CLOSED


def build_rules(doc: Mapping[str, Any],
                outcome_counts: Mapping[str, tuple[str, ...]]) -> dict[str, ReturnRule]:
    """The rules of a ``returns`` declaration (already checked against ``FORMAT``);
    ``outcome_counts`` is outcome code -> the categories its ``counts`` names."""
    rules: dict[str, ReturnRule] = {}
    for key, entry in doc.items():
        counted = tuple(code for code, counts in outcome_counts.items() if key in counts)
        if isinstance(entry, str):  # first format: a label; outcomes count closed cases
            every = key == LEGACY_EVERY
            rules[key] = ReturnRule(key, entry, OPENED if every else CLOSED, counted,
                                    every=every)
            continue
        outcomes = tuple(dict.fromkeys([*entry.get("outcomes", []), *counted]))
        answer = str(entry.get("answer", ""))
        also = tuple(entry.get("also", []))
        rules[key] = ReturnRule(key, entry["label"], entry.get("date", OPENED), outcomes,
                                answer, entry.get("equals"), also,
                                every=not (outcomes or answer or also))
    return rules


Report = Callable[[tuple[str | int, ...], str], None]


def check_rules(rules: Mapping[str, ReturnRule], outcomes: Collection[str],
                has_field: Callable[[str], bool], report: Report) -> None:
    """Report each broken reference of the return categories with its place in the file."""
    for key, rule in rules.items():
        path: tuple[str | int, ...] = ("returns", key)
        for index, code in enumerate(rule.outcomes):
            if code not in outcomes:
                report((*path, "outcomes", index),
                       f"return '{key}': '{code}' is not a declared outcome")
        if rule.answer and not has_field(rule.answer):
            report((*path, "answer"), f"return '{key}': no form has a field '{rule.answer}'")
        for index, other in enumerate(rule.also):
            found = rules.get(other)
            if found is None or other == key:
                report((*path, "also", index),
                       f"return '{key}': '{other}' is not another return category")
            elif found.also:
                report((*path, "also", index),
                       f"return '{key}': '{other}' itself names other categories in \"also\"; "
                       "name their conditions here instead")
