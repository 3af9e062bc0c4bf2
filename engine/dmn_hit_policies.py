"""DMN hit policies as the DMN standard defines them, on SpiffWorkflow's decision tables.

SpiffWorkflow 3.2's ``DMNEngine`` knows UNIQUE (it stops at the first match, so overlapping
rules go unnoticed) and COLLECT (lists, no aggregation); every other policy returns the first
match. This engine evaluates every rule and applies the policy:

- UNIQUE: at most one rule may match; ANY: the matching rules must agree. Otherwise the step
  fails with an error naming the decision and the rows (never a silent pick).
- FIRST: the first match in rule order. PRIORITY: the match whose outputs come first in the
  outputs' ``outputValues`` lists.
- RULE ORDER / OUTPUT ORDER: every match, as a list per output, in rule order / priority order.
- COLLECT: a list per output; with ``aggregation`` SUM, MIN or MAX the aggregate (None
  when nothing matched), with COUNT the number of matches (as Camunda counts).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

POLICIES = frozenset({"UNIQUE", "ANY", "FIRST", "PRIORITY", "RULE ORDER", "OUTPUT ORDER",
                      "COLLECT"})
NEEDS_OUTPUT_VALUES = frozenset({"PRIORITY", "OUTPUT ORDER"})
AGGREGATIONS = frozenset({"SUM", "COUNT", "MIN", "MAX"})


def output_values(text: str | None) -> list[Any]:
    """The allowed values of an output (``"high","medium","low"``), in priority order."""
    if not text or not text.strip():
        return []
    try:
        value = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError):
        return []
    return list(value)


def _rows(rules: Sequence[Any]) -> str:
    numbers = [str(r.row_number) for r in rules]
    return numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]


class HitPolicyEngine(DMNEngine):  # type: ignore[misc]
    """A decision table's engine that applies its hit policy in full."""

    def __init__(self, decision_table: Any, decision_name: str = "", aggregation: str = "",
                 priorities: dict[str, list[Any]] | None = None) -> None:
        super().__init__(decision_table)
        self.decision_name = decision_name or decision_table.name or decision_table.id
        self.aggregation = aggregation.upper()
        self.priorities = priorities or {}

    @classmethod
    def from_parsed(cls, table: Any, dmn_parser: Any) -> HitPolicyEngine:
        """Read what SpiffWorkflow's model drops (aggregation, output values) from the XML."""
        root = dmn_parser.node

        def by_id(element_id: str) -> Any:
            found = root.xpath("//*[@id=$i]", i=element_id)
            return found[0] if found else None

        table_node = by_id(table.id)
        decision_node = table_node.getparent() if table_node is not None else None
        priorities = {}
        for output in table.outputs:
            node = by_id(output.id)
            texts = node.xpath("./*[local-name()='outputValues']/*[local-name()='text']/text()"
                               ) if node is not None else []
            priorities[output.id] = output_values(texts[0] if texts else None)
        return cls(table, (decision_node.get("name") or decision_node.get("id") or "")
                   if decision_node is not None else "",
                   (table_node.get("aggregation") or "") if table_node is not None else "",
                   priorities)

    @property
    def policy(self) -> str:
        return " ".join(str(self.decision_table.hit_policy).upper().split())

    def decide(self, task: Any) -> list[Any]:
        check = self._DMNEngine__check_rule  # the stock per-rule test, private in DMNEngine
        return [rule for rule in self.decision_table.rules if check(rule, task)]

    def result(self, task: Any) -> dict[str, Any]:
        policy = self.policy
        matched = self.decide(task)
        outputs = [rule.output_as_dict(task) for rule in matched]
        if policy == "UNIQUE" and len(matched) > 1:
            self._fail(task, f"matched {len(matched)} rules (rows {_rows(matched)}); a "
                             "UNIQUE table may match at most one. Change the rules so they do "
                             "not overlap, or choose another hit policy")
        if policy == "ANY" and any(o != outputs[0] for o in outputs[1:]):
            self._fail(task, f"rows {_rows(matched)} give different results; with ANY every "
                             "matching rule must give the same result")
        if policy in ("RULE ORDER", "OUTPUT ORDER", "COLLECT"):
            if policy == "OUTPUT ORDER":
                outputs.sort(key=self._priority)
            return self._lists(outputs)
        if policy == "PRIORITY":
            outputs.sort(key=self._priority)
        return dict(outputs[0]) if outputs else {}

    def _lists(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        keys = [o.name or o.label for o in self.decision_table.outputs]
        lists: dict[str, list[Any]] = {k: [o[k] for o in outputs if k in o] for k in keys}
        if self.policy != "COLLECT" or not self.aggregation:
            return dict(lists)
        result: dict[str, Any] = {}
        for key, values in lists.items():
            if self.aggregation == "COUNT":
                result[key] = len(values)
            else:
                aggregate = {"SUM": sum, "MIN": min, "MAX": max}[self.aggregation]
                result[key] = aggregate(values) if values else None
        return result

    def _priority(self, output: dict[str, Any]) -> tuple[int, ...]:
        key = []
        for column in self.decision_table.outputs:
            order = self.priorities.get(column.id, [])
            value = output.get(column.name or column.label)
            key.append(order.index(value) if value in order else len(order))
        return tuple(key)

    def _fail(self, task: Any, detail: str) -> None:
        raise WorkflowTaskException(
            f"The decision '{self.decision_name}' (hit policy {self.policy}) {detail}.",
            task=task)
