"""Checks of a diagram's shape that SpiffWorkflow does not make: elements no case can reach,
elements from which a case can never finish, parallel joins that can wait for ever, and (with
``gateway_check``) exclusive gateways whose conditions may all be false with no default.

Each process, subprocess and event subprocess is checked on its own (its contents start at its
own start events). A boundary event is reached through the activity it is attached to; an
event subprocess is reached with its process; an end is an end event or any element with no
way out. Parallel joins are checked by playing tokens through the diagram (every gateway
choice tried); see docs/process-checks.md for what is and is not proved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from lxml import etree

from engine.check_words import capital, label
from engine.gateway_check import open_gateways
from engine.lint import BPMN, NS, Problem

_CONTAINERS = {"process", "subProcess", "transaction"}
_FLOW_NODES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "complexGateway",
}
MAX_STATES = 20_000  # token states played per process before the join check gives up
_TOKEN_CAP = 2  # tokens counted per arrow (loops that make more are cut to this)
_SUBSETS_UP_TO = 4  # an inclusive gateway with more ways out tries each one alone, and all



def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


@dataclass
class _Graph:
    """The flow nodes and arrows directly inside one process or subprocess."""

    nodes: dict[str, etree._Element] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)  # arrow id -> source node id
    target: dict[str, str] = field(default_factory=dict)  # arrow id -> target node id
    outs: dict[str, list[str]] = field(default_factory=dict)
    ins: dict[str, list[str]] = field(default_factory=dict)
    boundaries: dict[str, list[str]] = field(default_factory=dict)  # activity -> its events
    links: dict[str, list[str]] = field(default_factory=dict)  # link name -> catch events

    @classmethod
    def of(cls, container: etree._Element) -> _Graph:
        g = cls()
        for child in container:
            local = _local(child)
            if local in _FLOW_NODES and child.get("id"):
                g.nodes[child.get("id")] = child
        for node_id in g.nodes:
            g.outs[node_id], g.ins[node_id] = [], []
        for flow in container.iterfind("bpmn:sequenceFlow", NS):
            flow_id, src, dst = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
            if flow_id and src in g.nodes and dst in g.nodes:
                g.source[flow_id], g.target[flow_id] = src, dst
                g.outs[src].append(flow_id)
                g.ins[dst].append(flow_id)
        for node_id, el in g.nodes.items():
            if _local(el) == "boundaryEvent" and el.get("attachedToRef") in g.nodes:
                g.boundaries.setdefault(el.get("attachedToRef"), []).append(node_id)
            link = _link_name(el)
            if link is not None and _local(el) == "intermediateCatchEvent":
                g.links.setdefault(link, []).append(node_id)
        return g

    def next_nodes(self, node_id: str) -> Iterator[str]:
        """Where a case can go from a node: its arrows, its boundary events, a link's catch."""
        for flow in self.outs[node_id]:
            yield self.target[flow]
        yield from self.boundaries.get(node_id, ())
        el = self.nodes[node_id]
        link = _link_name(el)
        if link is not None and _local(el) == "intermediateThrowEvent":
            yield from self.links.get(link, ())

    def is_end(self, node_id: str) -> bool:
        el = self.nodes[node_id]
        if _local(el) == "intermediateThrowEvent" and _link_name(el) is not None:
            return False
        return _local(el) == "endEvent" or not self.outs[node_id]


def _link_name(el: etree._Element) -> str | None:
    link = el.find("bpmn:linkEventDefinition", NS)
    return None if link is None else (link.get("name") or "")


def _exempt(el: etree._Element) -> bool:
    """Elements that are reached other than by arrows: event subprocesses, compensation
    handlers and compensation boundary events (joined by associations)."""
    return (el.get("triggeredByEvent") == "true" or el.get("isForCompensation") == "true"
            or el.find("bpmn:compensateEventDefinition", NS) is not None)


def _starts(g: _Graph) -> list[str]:
    return [i for i, el in g.nodes.items()
            if _local(el) == "startEvent" or (_exempt(el) and _local(el) != "boundaryEvent")]


def _walk(starts: list[str], step: Any) -> set[str]:
    seen = set(starts)
    todo = list(starts)
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_graph(roots: Mapping[str, etree._Element],
                forms: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every shape problem in the BPMN files among ``roots`` (file name -> root element)."""
    problems: list[Problem] = []
    for file, root in roots.items():
        if etree.QName(root).namespace != BPMN:
            continue
        for container in root.iter(*(f"{{{BPMN}}}{c}" for c in _CONTAINERS)):
            graph = _Graph.of(container)
            problems.extend(_reachability(file, graph))
            problems.extend(_joins(file, graph))
        problems.extend(open_gateways(file, root, forms or {}))
    return problems


def _problem(file: str, el: etree._Element, message: str) -> Problem:
    return Problem(file, el.sourceline, el.get("id"), message)


def _reachability(file: str, g: _Graph) -> Iterator[Problem]:
    starts = _starts(g)
    if not starts:
        return  # SpiffWorkflow itself refuses a process with no start event
    reached = _walk(starts, g.next_nodes)
    back: dict[str, list[str]] = {}
    for node_id in g.nodes:
        for nxt in g.next_nodes(node_id):
            back.setdefault(nxt, []).append(node_id)
    ends = [i for i in g.nodes if g.is_end(i) or _exempt(g.nodes[i])]
    finishing = _walk(ends, lambda i: back.get(i, ()))
    for node_id, el in g.nodes.items():
        if _exempt(el) or (_local(el) == "boundaryEvent" and el.get("attachedToRef") in g.nodes):
            continue
        what = capital(label(el))
        if node_id not in reached and not g.ins[node_id] and not g.outs[node_id]:
            yield _problem(file, el, f"{what} is not connected to anything: no arrow leads into "
                                     "it or out of it, so no case will ever reach it. Draw an "
                                     "arrow into it from the step before and one out of it to "
                                     "the next step, or delete it.")
        elif node_id not in reached:
            why = ("no arrow leads into it" if not g.ins[node_id]
                   else "no path from the start leads to it")
            yield _problem(file, el, f"No case can ever reach {label(el)}: {why}. Draw an "
                                     "arrow into it from a step that cases pass through, or "
                                     "delete it.")
        elif node_id not in finishing:
            yield _problem(file, el, f"A case that reaches {label(el)} can never finish: every "
                                     "way on from it goes round in a loop without reaching an "
                                     "end event. Add a way out of the loop (for example a "
                                     "gateway with an arrow to the next step or to an end "
                                     "event).")


def _joins(file: str, g: _Graph) -> Iterator[Problem]:
    joins = {i for i, el in g.nodes.items()
             if _local(el) == "parallelGateway" and len(g.ins[i]) > 1}
    if not joins:
        return
    stuck: set[str] = set()
    for start in _starts(g):
        if _local(g.nodes[start]) != "startEvent":
            continue
        stuck |= _play(g, {f: 1 for f in g.outs[start]}) & joins
    for node_id in sorted(stuck, key=lambda i: g.nodes[i].sourceline or 0):
        el = g.nodes[node_id]
        yield _problem(file, el, f"{capital(label(el))} can wait for ever: it waits until a "
                                 "case has come along every arrow into it, but a case can come "
                                 "along some of them and never the others (for example when "
                                 "an exclusive gateway before it sent the case one way only). "
                                 "Bring branches that an exclusive gateway split back together "
                                 "with an exclusive gateway; join with a parallel gateway only "
                                 "the branches a parallel gateway split.")


def _play(g: _Graph, first: dict[str, int]) -> set[str]:
    """Play tokens from ``first`` (arrow -> tokens), trying every choice; return the nodes that
    hold tokens when nothing more can move. Each arrow leads to one node only, so firing one
    enabled node at a time (with all its choices) finds every such end state."""
    stuck: set[str] = set()
    seen: set[frozenset[tuple[str, int]]] = set()
    todo = [first]
    while todo:
        state = todo.pop()
        key = frozenset(state.items())
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_STATES:
            return set()  # too many states to be sure: report nothing rather than guess
        node = _enabled(g, state)
        if node is None:
            stuck |= {g.target[f] for f, n in state.items() if n}
            continue
        todo.extend(_fire(g, state, node))
    return stuck


def _enabled(g: _Graph, state: dict[str, int]) -> str | None:
    """The next node to fire: ordinary nodes first, then inclusive joins (which wait for what
    may still come), then terminate end events."""
    best: tuple[int, str] | None = None
    for flow, count in state.items():
        if not count:
            continue
        node = g.target[flow]
        el = g.nodes[node]
        local = _local(el)
        if local == "parallelGateway" and any(not state.get(f) for f in g.ins[node]):
            continue
        rank = 0
        if local in ("inclusiveGateway", "complexGateway") and len(g.ins[node]) > 1:
            rank = 1
        elif local == "endEvent" and el.find("bpmn:terminateEventDefinition", NS) is not None:
            rank = 2
        if best is None or rank < best[0]:
            best = (rank, node)
    return None if best is None else best[1]


def _fire(g: _Graph, state: dict[str, int], node: str) -> list[dict[str, int]]:
    el = g.nodes[node]
    local = _local(el)
    after = dict(state)
    if local == "endEvent" and el.find("bpmn:terminateEventDefinition", NS) is not None:
        return [{}]
    if local == "parallelGateway":
        taken = list(g.ins[node])
    elif local in ("inclusiveGateway", "complexGateway"):
        taken = [f for f in g.ins[node] if state.get(f)]
    else:
        taken = [next(f for f in g.ins[node] if state.get(f))]
    for f in taken:
        after[f] -= 1
        if not after[f]:
            del after[f]
    results = []
    for choice in _choices(g, node):
        nxt = dict(after)
        for f in choice:
            nxt[f] = min(nxt.get(f, 0) + 1, _TOKEN_CAP)
        results.append(nxt)
    return results


def _choices(g: _Graph, node: str) -> list[list[str]]:
    """The sets of arrows a node may send a case along when it fires."""
    el = g.nodes[node]
    local = _local(el)
    outs = g.outs[node]
    if local in ("exclusiveGateway", "eventBasedGateway"):
        choices = [[f] for f in outs] or [[]]
    elif local in ("inclusiveGateway", "complexGateway"):
        subsets = ([list(c) for n in range(1, len(outs) + 1) for c in combinations(outs, n)]
                   if len(outs) <= _SUBSETS_UP_TO else [[f] for f in outs] + [outs])
        choices = subsets or [[]]
    else:
        choices = [outs]
        for b in g.boundaries.get(node, ()):
            interrupting = g.nodes[b].get("cancelActivity", "true") != "false"
            choices.append(g.outs[b] if interrupting else outs + g.outs[b])
        link = _link_name(el)
        if local == "intermediateThrowEvent" and link is not None:
            choices = [[f for c in g.links.get(link, ()) for f in g.outs[c]]]
    return choices
