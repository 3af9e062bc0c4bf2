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
    return [_problem(file, element, message) for check in (_manual_tasks, _links,
                                                           _event_gateways, _start_events)
            for element, message in check(root, lanes)]


Found = list[tuple[etree._Element, str]]


def _manual_tasks(root: etree._Element, lanes: Collection[str] | None) -> Found:
    found = []
    lane_of = {(ref.text or "").strip(): ref.getparent().get("name") or ""
               for ref in root.iter(f"{_B}flowNodeRef")}
    for task in root.iter(f"{_B}manualTask"):
        lane = lane_of.get(task.get("id") or "")
        if lane is None:
            found.append((task, "Manual task is not in a lane: put it in the lane of the role "
                                "that does the work"))
        elif lanes is not None and lane not in lanes:
            found.append((task, f"Manual task: lane '{lane}' is not one of: "
                                f"{', '.join(sorted(lanes))}"))
    return found


def _links(root: etree._Element, lanes: Collection[str] | None) -> Found:
    found = []
    for throw in root.iter(f"{_B}intermediateThrowEvent"):
        if link_name(throw) is not None and link_catch(throw) is None:
            found.append((throw, f"Link throw event '{link_name(throw)}' has no link catch "
                                 "event of the same name in the same process: the flow would "
                                 "stop here"))
    for parent in {c.getparent() for c in root.iter(f"{_B}intermediateCatchEvent")}:
        names = Counter(link_name(c) for c in parent.iterchildren(f"{_B}intermediateCatchEvent"))
        found.extend((parent, f"{count} link catch events are named '{name}': give each a "
                              "different name")
                     for name, count in names.items() if name is not None and count > 1)
    return found


def _event_gateways(root: etree._Element, lanes: Collection[str] | None) -> Found:
    targets: dict[str | None, list[str | None]] = {}
    for flow in root.iter(f"{_B}sequenceFlow"):
        targets.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    nodes = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    found = []
    for gateway in root.iter(f"{_B}eventBasedGateway"):
        timers = [t for t in targets.get(gateway.get("id"), [])
                  if t in nodes and nodes[t].find(f"{_B}timerEventDefinition") is not None]
        if len(timers) > 1:
            found.append((gateway, f"Event-based gateway waits for {len(timers)} timers: the "
                                   "engine keeps one due time per gateway. Keep only the "
                                   "earliest timer"))
    return found


def _start_events(root: etree._Element, lanes: Collection[str] | None) -> Found:
    found = []
    for start in root.iter(f"{_B}startEvent"):
        for kind in ("error", "escalation"):
            if (start.find(f"{_B}{kind}EventDefinition") is not None
                    and not in_event_subprocess(start)):
                found.append((start, f"{kind.capitalize()} start event outside an event "
                                     "subprocess: it would never be triggered. Put it in an "
                                     "event subprocess"))
    return found


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
