"""Check-time refusals for the constructs whose run-time support has limits.

The engine runs link events, error/escalation/message event subprocesses, manual tasks,
event-based gateways and every DMN hit policy (see ``bpmn_parser``, ``dmn_hit_policies``,
``event_subprocesses``). What it cannot run correctly is refused here, by element type, with
the way to fix it: never accepted and then silently wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from lxml import etree

from engine.bpmn_parser import in_event_subprocess, link_catch, link_name
from engine.dmn_hit_policies import AGGREGATIONS, NEEDS_OUTPUT_VALUES, POLICIES, output_values
from engine.lint import BPMN, Problem

_B = f"{{{BPMN}}}"


def construct_problems(roots: Mapping[str, etree._Element], *,
                       lanes: Collection[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for file, root in roots.items():
        if etree.QName(root).namespace == BPMN:
            problems.extend(_bpmn(file, root, lanes))
        else:
            problems.extend(_dmn(file, root))
    return problems


def _problem(file: str, element: etree._Element, message: str) -> Problem:
    return Problem(file, element.sourceline, element.get("id"), message)


def _bpmn(file: str, root: etree._Element, lanes: Collection[str] | None) -> list[Problem]:
    problems = []
    lane_of = {(ref.text or "").strip(): ref.getparent().get("name") or ""
               for ref in root.iter(f"{_B}flowNodeRef")}
    for task in root.iter(f"{_B}manualTask"):
        lane = lane_of.get(task.get("id") or "")
        if lane is None:
            problems.append(_problem(file, task, "Manual task is not in a lane: put it in the "
                                                 "lane of the role that does the work"))
        elif lanes is not None and lane not in lanes:
            problems.append(_problem(file, task, f"Manual task: lane '{lane}' is not one of: "
                                                 f"{', '.join(sorted(lanes))}"))
    for throw in root.iter(f"{_B}intermediateThrowEvent"):
        if link_name(throw) is not None and link_catch(throw) is None:
            problems.append(_problem(file, throw, f"Link throw event '{link_name(throw)}' has no "
                                                  "link catch event of the same name in the same "
                                                  "process: the flow would stop here"))
    for parent in {c.getparent() for c in root.iter(f"{_B}intermediateCatchEvent")}:
        names = Counter(link_name(c) for c in parent.iterchildren(f"{_B}intermediateCatchEvent"))
        for name, count in names.items():
            if name is not None and count > 1:
                problems.append(_problem(file, parent, f"{count} link catch events are named "
                                                       f"'{name}': give each a different name"))
    for start in root.iter(f"{_B}startEvent"):
        for kind in ("error", "escalation"):
            if (start.find(f"{_B}{kind}EventDefinition") is not None
                    and not in_event_subprocess(start)):
                problems.append(_problem(file, start, f"{kind.capitalize()} start event outside an "
                                                      "event subprocess: it would never be "
                                                      "triggered. Put it in an event subprocess"))
    return problems


def _dmn(file: str, root: etree._Element) -> list[Problem]:
    problems = []
    for table in root.iter():
        if not isinstance(table.tag, str) or etree.QName(table).localname != "decisionTable":
            continue
        decision = table.getparent()
        name = decision.get("name") or decision.get("id") if decision is not None else "?"
        policy = " ".join((table.get("hitPolicy") or "UNIQUE").upper().split())
        aggregation = (table.get("aggregation") or "").upper()
        outputs = [o for o in table if isinstance(o.tag, str)
                   and etree.QName(o).localname == "output"]
        where = f"Decision table '{name}'"
        if policy not in POLICIES:
            problems.append(_problem(file, table, f"{where}: hit policy '{policy}' is not one of "
                                                  f"{', '.join(sorted(POLICIES))}"))
        if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            problems.append(_problem(file, table, f"{where}: aggregation '{aggregation}' needs "
                                                  "hit policy COLLECT and one of COUNT, MAX, "
                                                  "MIN, SUM"))
        if aggregation and len(outputs) > 1:
            problems.append(_problem(file, table, f"{where}: a COLLECT {aggregation} table must "
                                                  "have exactly one output"))
        if policy in NEEDS_OUTPUT_VALUES:
            for output in outputs:
                texts = output.xpath("./*[local-name()='outputValues']/*[local-name()='text']"
                                     "/text()")
                if not output_values(texts[0] if texts else None):
                    label = output.get("label") or output.get("name") or output.get("id")
                    problems.append(_problem(
                        file, output, f"{where}: hit policy {policy} ranks results by the "
                                      f"output values, but output '{label}' lists none: add "
                                      "its values in priority order (e.g. \"high\",\"low\")"))
    return problems
