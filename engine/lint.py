"""Static checks SpiffWorkflow does not make, each reported with file, line and element id.

SpiffWorkflow silently ignores dangling sequence-flow references, checks no script syntax, and
reports semantic errors without line numbers. A policy lead needs all of that before a version
can be published, so every expression is compiled under the sandbox here and every reference is
resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import sandbox
from engine.check_words import capital, code_place, label
from engine.instructions import check_instructions, template_runs_in_process
from engine.sandbox_cost import python_is_bounded

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
FORM_PROPERTY = "formJsonSchemaFilename"
# Elements the sandbox host may stop (at its time limit each) before the check tries no more.
MAX_STOPS = 3
UI_PROPERTY = "formUiSchemaFilename"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, pointing at where to fix it."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    severity: str = "error"

    def __post_init__(self) -> None:
        # One line per problem, never cut: names may hold newlines and runs of spaces.
        object.__setattr__(self, "message", " ".join(self.message.split()))

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.element_id or '-'}: {self.message}"


@dataclass
class _Context:
    roots: Mapping[str, etree._Element]
    form_files: Collection[str]
    lint_data: Mapping[str, Any]
    lanes: Collection[str] | None
    problems: list[Problem] = field(default_factory=list)
    stops: int = 0  # elements the sandbox host stopped (each cost up to its time limit)

    def report(self, file: str, element: etree._Element, message: str,
               severity: str = "error") -> None:
        self.problems.append(Problem(file, element.sourceline, _owner_id(element), message,
                                     severity))


def _owner_id(element: etree._Element) -> str | None:
    node: etree._Element | None = element
    while node is not None:
        if node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def lint(roots: Mapping[str, etree._Element], *, form_files: Collection[str],
         lint_data: Mapping[str, Any] | None = None,
         lanes: Collection[str] | None = None) -> list[Problem]:
    """Run every static check over parsed BPMN and DMN roots (file name -> root element)."""
    ctx = _Context(roots, form_files, lint_data or {}, lanes)
    bpmn_roots = {f: r for f, r in roots.items() if r.nsmap.get(r.prefix) == BPMN
                  or etree.QName(r).namespace == BPMN}
    dmn_roots = {f: r for f, r in roots.items() if f not in bpmn_roots}
    process_ids = {p.get("id") for r in bpmn_roots.values()
                   for p in r.iterfind(".//bpmn:process", NS)}
    decision_ids = {d.get("id") for r in dmn_roots.values() for d in r.iter()
                    if _local(d) == "decision"}
    for file, root in bpmn_roots.items():
        _check_flows(ctx, file, root)
        _check_expressions(ctx, file, root)
        _check_user_tasks(ctx, file, root)
        _check_references(ctx, file, root, process_ids, decision_ids)
    for file, root in dmn_roots.items():
        _check_dmn(ctx, file, root)
    from engine.runtime_checks import construct_problems  # it builds on this module

    ctx.problems.extend(construct_problems(roots, lanes=lanes))
    return ctx.problems


def _check_flows(ctx: _Context, file: str, root: etree._Element) -> None:
    flows = {f.get("id"): f for f in root.iterfind(".//bpmn:sequenceFlow", NS)}
    nodes = {e.get("id"): e for e in root.iter() if e.get("id")}
    for flow_id, flow in flows.items():
        for attr, ref_tag in (("sourceRef", "outgoing"), ("targetRef", "incoming")):
            node_id = flow.get(attr)
            node = nodes.get(node_id)
            end = "starts at" if attr == "sourceRef" else "leads to"
            if node is None:
                ctx.report(file, flow, f"{capital(label(flow))} {end} '{node_id}', which is not "
                                       "in the diagram. Delete the arrow and draw it again "
                                       "between two steps.")
                continue
            refs = [r.text for r in node.iterfind(f"bpmn:{ref_tag}", NS)]
            if refs and flow_id not in refs:
                into = "out of" if ref_tag == "outgoing" else "into"
                ctx.report(file, node, f"{capital(label(node))} does not list the arrow "
                                       f"'{flow_id}' among the arrows {into} it, so the diagram "
                                       "file is inconsistent. Delete the arrow and draw it "
                                       "again.")
    for tag, end, verb in (("incoming", "targetRef", "end"), ("outgoing", "sourceRef", "start")):
        for ref in root.iterfind(f".//bpmn:{tag}", NS):
            ref_flow = flows.get((ref.text or "").strip())
            step = ref.getparent()
            into = "into" if tag == "incoming" else "out of"
            if ref_flow is None:
                ctx.report(file, ref, f"{capital(label(step))} lists an arrow '{ref.text}' "
                                      f"{into} it that is not in the diagram, so that branch "
                                      "would never run. Delete the arrow and draw it again.")
            elif ref_flow.get(end) != _owner_id(ref):
                ctx.report(file, ref, f"{capital(label(step))} lists the arrow '{ref.text}' "
                                      f"{into} it, but the arrow does not {verb} there. Delete "
                                      "the arrow and draw it again.")


def _expressions(root: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """Yield (element, kind, source) for every piece of diagram code; kind is eval/exec/timer."""
    for el in root.iterfind(".//bpmn:conditionExpression", NS):
        yield el, "eval", el.text or ""
    for el in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        yield el, "exec", el.text or ""
    for tag in ("preScript", "postScript"):
        for el in root.iterfind(f".//spiffworkflow:{tag}", NS):
            yield el, "exec", el.text or ""
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            yield el, f"timer:{tag}", el.text or ""
    for tag in ("loopCardinality", "completionCondition"):
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            yield el, "eval", el.text or ""
    for el in root.iterfind(".//spiffworkflow:messagePayload", NS):
        yield el, "eval", el.text or ""
    for el in root.iterfind(".//spiffworkflow:parameter", NS):
        yield el, "eval", el.get("value") or ""


def _check_expressions(ctx: _Context, file: str, root: etree._Element) -> None:
    for el, kind, raw in _expressions(root):
        source = raw.strip()
        if not source:
            if kind != "exec":
                ctx.report(file, el, f"{capital(code_place(el))} is empty. Write it in the "
                                     "panel on the right.")
            continue
        mode = "exec" if kind == "exec" else "eval"
        message = sandbox.check_source(source, mode)
        if message:
            ctx.report(file, el, f"{capital(code_place(el))} cannot run: {message}. Correct "
                                 "it in the panel on the right.")
        elif kind.startswith("timer:"):
            _tried(ctx, file, el, python_is_bounded(source, mode), _check_timer,
                   kind.split(":")[1], source)
        else:
            _tried(ctx, file, el, python_is_bounded(source, mode), _probe, source, mode)
    for el in root.iterfind(".//bpmn:serviceTask", NS):
        ctx.report(file, el, f"{capital(label(el))} is a service task, which cannot run here. "
                             "Have the other system send its result as a message, and catch "
                             "that message with a message event.")


def _tried(ctx: _Context, file: str, el: etree._Element, cheap: bool,
           check: Callable[..., None], *args: Any) -> None:
    """Run a check that may run diagram code; after MAX_STOPS elements were stopped (each after
    the sandbox's time limit), try no more code that is not ``cheap`` (in-process): the check
    must answer promptly."""
    if ctx.stops >= MAX_STOPS and not cheap:
        ctx.report(file, el, f"{capital(code_place(el))} was not tried: {MAX_STOPS} other "
                             "pieces were stopped for taking too long or too much memory. Fix "
                             "them and check again.")
        return
    try:
        check(ctx, file, el, *args)
    except sandbox.SandboxStopped as exc:
        ctx.stops += 1
        ctx.report(file, el, f"{capital(code_place(el))} was stopped when tried on sample "
                             f"data: {exc}. Make it simpler.")


def _probe(ctx: _Context, file: str, el: etree._Element, source: str, mode: str) -> None:
    refused = sandbox.probe(source, mode, ctx.lint_data)
    if refused:
        ctx.report(file, el, f"{capital(code_place(el))} was refused when tried on sample "
                             f"data: {refused}. Change it in the panel on the right.")


def _check_timer(ctx: _Context, file: str, el: etree._Element, tag: str, source: str) -> None:
    try:
        value = sandbox.evaluate(source, ctx.lint_data)
    except NameError as exc:
        ctx.report(file, el, f"{capital(code_place(el))} uses a value only a running case "
                             f"has ({exc}), so it can only be checked when a case runs.",
                   "warning")
        return
    except sandbox.SandboxStopped:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure is the policy lead's to see
        ctx.report(file, el, f"{capital(code_place(el))} does not work: "
                             f"{type(exc).__name__}: {exc}. Correct it in the panel on the "
                             "right.")
        return
    if not isinstance(value, str):
        ctx.report(file, el, f"{capital(code_place(el))} must give a length of time in "
                             "quotes (ISO 8601 string), such as \"PT24H\" for 24 hours or "
                             f"\"P28D\" for 28 days, not {_value_words(value)}.")
        return
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif tag == "timeDate":
            TimerEventDefinition.parse_time_or_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # noqa: BLE001
        what = {"timeDuration": "length of time such as \"PT24H\" (24 hours) or \"P28D\"",
                "timeDate": "date and time such as \"2026-01-31T09:00:00Z\""}.get(
                    tag, "repeating time such as \"R3/PT24H\"")
        ctx.report(file, el, f"{capital(code_place(el))} gives {value!r}, which is not a "
                             f"valid ISO 8601 {what}. Correct it in the panel on the right.")


def _lane_map(root: etree._Element) -> dict[str, str]:
    return {(ref.text or "").strip(): ref.getparent().get("name") or ""
            for ref in root.iterfind(".//bpmn:flowNodeRef", NS)}


def _properties(task: etree._Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") or ""
            for p in task.iterfind("bpmn:extensionElements/spiffworkflow:properties/"
                                   "spiffworkflow:property", NS)}


def _check_user_tasks(ctx: _Context, file: str, root: etree._Element) -> None:
    lanes = _lane_map(root)
    for task in root.iterfind(".//bpmn:userTask", NS):
        lane = None
        node: etree._Element | None = task
        while node is not None and lane is None:
            lane = lanes.get(node.get("id") or "")
            node = node.getparent()
        what = capital(label(task))
        if lane is None:
            ctx.report(file, task, f"{what} is not in a lane, so nobody would be offered it. "
                                   "Move it into the lane of the role that does the work.")
        elif ctx.lanes is not None and lane not in ctx.lanes:
            ctx.report(file, task, f"{what} is in the lane '{lane}', which is not one of: "
                                   f"{', '.join(sorted(ctx.lanes))}. Move it into one of "
                                   "them, or rename the lane.")
        props = _properties(task)
        form = props.get(FORM_PROPERTY)
        if not form:
            ctx.report(file, task, f"{what} has no form. Choose one under 'Form' in the panel "
                                   "on the right.")
        elif form not in ctx.form_files:
            ctx.report(file, task, f"{what} uses the form '{form}', which does not exist. "
                                   "Choose one of the scheme's forms in the panel on the "
                                   "right, or add that form.")
        ui = props.get(UI_PROPERTY)
        if ui and ui not in ctx.form_files:
            ctx.report(file, task, f"{what} uses the form layout '{ui}', which does not "
                                   "exist. Choose another in the panel on the right, or none.")
        for el in task.iterfind("bpmn:extensionElements/spiffworkflow:instructionsForEndUser", NS):
            _tried(ctx, file, el, template_runs_in_process(el.text or ""), _check_instructions)
    for task in root.iterfind(".//bpmn:task", NS):
        ctx.report(file, task, f"{capital(label(task))} is a plain task, which would wait in "
                               "the inbox with no form. Change it to a user task (with a lane "
                               "and a form) or a script task: select it and choose the "
                               "spanner icon.")


def _check_instructions(ctx: _Context, file: str, el: etree._Element) -> None:
    message = check_instructions(el.text or "", ctx.lint_data)
    if message:
        ctx.report(file, el, f"The instructions of {label(el.getparent().getparent())}: "
                             f"{message}. Correct them in the panel on the right.")


def _check_references(ctx: _Context, file: str, root: etree._Element,
                      process_ids: set[str | None], decision_ids: set[str | None]) -> None:
    for call in root.iterfind(".//bpmn:callActivity", NS):
        called = call.get("calledElement")
        if called not in process_ids:
            ctx.report(file, call, f"{capital(label(call))} calls '{called}', which is not a "
                                   "process in this scheme. Choose one of the scheme's "
                                   "processes under 'Called process' in the panel on the "
                                   "right.")
    for task in root.iterfind(".//bpmn:businessRuleTask", NS):
        ref = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        if ref is None or (ref.text or "").strip() not in decision_ids:
            name = None if ref is None else ref.text
            ctx.report(file, task, f"{capital(label(task))} uses the decision table "
                                   f"'{name}', which is not in this scheme. Choose one of the "
                                   "scheme's decision tables in the panel on the right.")
    ids_by_tag: dict[str, set[str | None]] = {}
    for tag in ("message", "escalation", "error", "signal"):
        ids_by_tag[tag] = {e.get("id") for r in ctx.roots.values()
                           for e in r.iterfind(f".//bpmn:{tag}", NS)}
    for tag, attr in (("messageEventDefinition", "messageRef"),
                      ("escalationEventDefinition", "escalationRef"),
                      ("errorEventDefinition", "errorRef"),
                      ("signalEventDefinition", "signalRef")):
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            ref = el.get(attr)
            if ref is not None and ref not in ids_by_tag[attr[:-3]]:
                holder = el.getparent()
                ctx.report(file, el, f"{capital(label(holder))} refers to the "
                                     f"{attr[:-3]} '{ref}', which is not defined in the "
                                     "diagram. Choose one in the panel on the right.")


def _check_dmn(ctx: _Context, file: str, root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = _local(el)
        parent = el.getparent()
        if name != "text" or parent is None:
            continue
        source = (el.text or "").strip()
        kind = _local(parent)
        if not source or source == "-":
            continue
        if kind == "inputEntry":
            # SpiffWorkflow's DMN engine reads "?" as the input value ("4 < ? < 6").
            source = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", source)
        message = sandbox.check_source(source, "eval")
        if message and kind == "inputEntry":
            message = sandbox.check_source(f"v {source}", "eval")
        if message:
            ctx.report(file, el, f"{capital(code_place(el))} cannot run: {message}. Correct "
                                 "the cell in the decision table.")


def _value_words(value: Any) -> str:
    """What kind of value a timer gave, in words ("a number", "a list")."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return {"NoneType": "nothing", "list": "a list", "dict": "a set of answers",
            "tuple": "a list"}.get(type(value).__name__, f"a {type(value).__name__} value")
