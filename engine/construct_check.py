"""Every BPMN construct either runs or is refused at check time, by its type in plain words.

SpiffWorkflow refuses what it cannot run unclearly ("There is no support implemented for this
task type.", a raw ``NotImplementedError`` with XML in it) or not at all (a compensation throw
event is read as a plain event, a script kept in a Camunda resource fails at start). Diagrams
drawn in Camunda Modeler or exported by other tools also carry vendor extensions that we ignore
and write timers, conditions and decisions the Camunda way. ``review`` names each of these with
its element type, name and line, says why and how to fix it, and accepts an unquoted ISO 8601
timer literal (``PT1H``, as Camunda and the BPMN MIWG files write it) as the literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.lint import BPMN, NS, Problem

SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Namespaces that carry no behaviour we ignore: diagram layout, colours, modeller metadata.
_QUIET = {
    BPMN, SPIFF,
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI", "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace", "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0", "http://camunda.org/schema/modeler/1.0",
}
_FORM = "choose the task's form in the properties panel (a JSON Schema form)"
# Camunda (and Activiti/Flowable/Zeebe) constructs that have an equivalent here.
_EQUIVALENT = {
    "assignee": "assign work with lanes", "candidateUsers": "assign work with lanes",
    "candidateGroups": "assign work with lanes", "candidateStarterUsers": "assign work with lanes",
    "candidateStarterGroups": "assign work with lanes", "assignmentDefinition":
    "assign work with lanes", "formKey": _FORM, "formData": _FORM, "formRef": _FORM,
    "formDefinition": _FORM, "userTaskForm": _FORM, "formProperty": _FORM,
    "inputOutput": "set variables in a pre-script or post-script",
    "ioMapping": "set variables in a pre-script or post-script",
    "executionListener": "put the code in a script task, pre-script or post-script",
    "taskListener": "put the code in a script task, pre-script or post-script",
    "resultVariable": "assign the result to a variable in the script itself",
    "in": "a call activity passes all case data in and out",
    "out": "a call activity passes all case data in and out",
    "properties": "use the spiffworkflow properties of the properties panel",
    "dueDate": "use a timer boundary event, or a clock in scheme.json",
    "followUpDate": "use a timer boundary event, or a clock in scheme.json",
    "asyncBefore": "every step already runs in a background job",
    "asyncAfter": "every step already runs in a background job",
    "calledElementBinding": "a call activity calls the process of the same definition version",
    "versionTag": "the studio keeps the versions",
}
# Element types SpiffWorkflow cannot run, with the way to do without them.
_UNSUPPORTED = {
    "complexGateway": "use exclusive, inclusive or parallel gateways instead",
    "adHocSubProcess": "draw the tasks with sequence flows, or give each its own path from a "
                       "parallel gateway",
    "transaction": "use a plain subprocess, with error boundary events for what must be undone",
    "dataStore": "keep the data in the case (form answers and script variables)",
    "dataStoreReference": "keep the data in the case (form answers and script variables)",
    "choreography": "draw the process of each party as a process with lanes",
    "choreographyTask": "draw the process of each party as a process with lanes",
    "subChoreography": "draw the process of each party as a process with lanes",
    "callChoreography": "draw the process of each party as a process with lanes",
    "globalChoreographyTask": "draw the process of each party as a process with lanes",
    "implicitThrowEvent": "draw the process of each party as a process with lanes",
    "conversation": "use message flows between pools, or messages the case waits for",
    "subConversation": "use message flows between pools, or messages the case waits for",
    "callConversation": "use message flows between pools, or messages the case waits for",
    "globalConversation": "use message flows between pools, or messages the case waits for",
    "globalTask": "draw the task in the process, or call a process with a call activity",
    "globalUserTask": "draw the task in the process, or call a process with a call activity",
    "globalManualTask": "draw the task in the process, or call a process with a call activity",
    "globalScriptTask": "draw the task in the process, or call a process with a call activity",
    "globalBusinessRuleTask": "draw the task in the process, or call a process with a call "
                              "activity",
}
_EVENT_DEFINITIONS = {
    "compensateEventDefinition": ("compensation", "undo work with an error boundary event and "
                                                  "the tasks that undo it"),
    "cancelEventDefinition": ("cancel", "transactions are not supported: end the subprocess "
                                        "with an error end event and catch it on its boundary"),
    "conditionalEventDefinition": ("conditional", "the condition is not checked again when the "
                                                  "case data changes, so it would wait for ever: "
                                                  "test the data with an exclusive gateway after "
                                                  "the step that sets it"),
}
_ENGINES = ("camunda.org", "activiti.org", "flowable.org", "jboss.org", "bonitasoft")
# Interrupting event subprocesses with these triggers are not known to stop the work (message,
# error, escalation and timer starts interrupt: engine.event_subprocesses).
_NOT_INTERRUPTING = {"signalEventDefinition"}
_PYTHON = {"", "python", "py", "text/python", "text/x-python", "application/x-python"}
_WORDS = {"adHocSubProcess": "ad-hoc subprocess", "subProcess": "subprocess",
          "callActivity": "call activity", "dataStoreReference": "data store reference"}
_EXPRESSIONS = ("conditionExpression", "timeDuration", "timeDate", "timeCycle",
                "loopCardinality", "completionCondition", "condition")
_DIGIT = re.compile(r"\d")


def review(roots: Mapping[str, etree._Element], problems: list[Problem]) -> list[Problem]:
    """``problems`` (the lint's) with this module's findings added; run after the lint, before
    SpiffWorkflow parses ``roots``. The lint's messages on elements explained here in plainer
    words (a JUEL condition's Python SyntaxError, "called decision 'None'") are dropped."""
    found: list[Problem] = []
    explained: set[_Where] = set()
    for file, root in roots.items():
        report = _reporter(file, found, explained)
        _warn_vendor_extensions(root, report)
        if etree.QName(root).namespace != BPMN:
            continue
        _refuse_unsupported(root, report)
        _refuse_task_splits(root, report)
        _refuse_foreign_code(root, report)
    kept = [p for p in problems if (p.file, p.line, p.element_id) not in explained
            or not any(marker in p.message for marker in _EXPLAINED)]
    return kept + found


def quote_timer_literals(roots: Mapping[str, etree._Element]) -> None:
    """Quote unquoted ISO 8601 timer literals (``PT1H``, as Camunda and the BPMN MIWG files
    write them) in ``roots``, so that the lint and the engine read them as the literals they are;
    run before the lint. The stored files are untouched."""
    for root in roots.values():
        if etree.QName(root).namespace == BPMN:
            _quote_timer_literals(root)


# The lint's words for what this module explains more plainly on the same element: a JUEL or
# FEEL condition's Python SyntaxError, Camunda's decisionRef read as decision 'None'.
_EXPLAINED = (" cannot run: ", " uses the decision table 'None'",
              " uses a value only a running case has")
Report = Callable[..., None]
_Where = tuple[str, int | None, str | None]


def _reporter(file: str, found: list[Problem], explained: set[_Where]) -> Report:
    def report(at: etree._Element, owner: etree._Element, message: str,
               severity: str = "error") -> None:
        found.append(Problem(file, at.sourceline or owner.sourceline or 1,
                             owner.get("id") or None, message, severity))
        if severity == "error":
            explained.add(_where(file, at))
    return report


def _where(file: str, element: etree._Element) -> _Where:
    """An element as the lint locates it: file, line and the nearest id at or above it."""
    node: etree._Element | None = element
    while node is not None and not node.get("id"):
        node = node.getparent()
    return file, element.sourceline, None if node is None else str(node.get("id"))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def describe(element: etree._Element) -> str:
    """An element by its type in words and its name: 'complex gateway "Merge"'."""
    local = _local(element)
    words = _WORDS.get(local) or re.sub(r"(?<!^)(?=[A-Z])", " ", local).lower()
    if local.endswith("Event"):
        kinds = [_local(d).removesuffix("EventDefinition") for d in _definitions(element)]
        if len(kinds) == 1:
            kind = {"compensate": "compensation"}.get(kinds[0], kinds[0])
            words = f"{kind} {words}"
    name = " ".join((element.get("name") or element.get("label") or "").split())
    return f'{words} "{name}"' if name else f"{words} with no name"


def _owner(element: etree._Element) -> etree._Element:
    node: etree._Element | None = element
    while node is not None:
        local = _local(node)
        if node.get("id") and local not in _EXPRESSIONS and local != "script" \
                and not local.endswith("EventDefinition"):
            return node
        node = node.getparent()
    return element


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    return (e for e in root.iter() if isinstance(e.tag, str))


_TIMER_PARSERS: dict[str, Callable[[str], Any]] = {
    "timeDuration": TimerEventDefinition.parse_iso_duration,
    "timeDate": TimerEventDefinition.parse_time_or_duration,
    "timeCycle": TimerEventDefinition.parse_iso_recurring_interval,
}


def _quote_timer_literals(root: etree._Element) -> None:
    for tag, parse in _TIMER_PARSERS.items():
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            text = (el.text or "").strip()
            if text and _DIGIT.search(text) and text[0] not in "'\"" and " " not in text \
                    and _parses(parse, text):
                el.text = repr(text)


def _parses(parse: Callable[[str], Any], text: str) -> bool:
    try:
        parse(text)
    except Exception:  # noqa: BLE001 - not a literal: an expression, which the lint checks
        return False
    return True


def _refuse_unsupported(root: etree._Element, report: Report) -> None:
    refused_stores: list[etree._Element] = []
    for el in _elements(root):
        local = _local(el)
        if etree.QName(el).namespace != BPMN:
            continue
        if local in _UNSUPPORTED:
            report(el, el, f"{describe(el)} cannot be run here: {_UNSUPPORTED[local]}")
            if local == "dataStore":  # else SpiffWorkflow adds its own, unlocated, message
                refused_stores.append(el)
        elif local.endswith("Event") or local.endswith("EventDefinition") \
                or local == "eventDefinitionRef":
            _refuse_event(el, local, report)
        elif el.get("isForCompensation") == "true":
            report(el, el, f"{describe(el)} is marked for compensation, which cannot be run "
                           "here: undo work with an error boundary event and the tasks that "
                           "undo it")
        elif local == "businessRuleTask":
            _refuse_decision_reference(el, report)
    for store in refused_stores:
        store.getparent().remove(store)


def _refuse_task_splits(root: etree._Element, report: Report) -> None:
    """A task or event with several arrows out of it (BPMN's uncontrolled flow, which Camunda
    and other tools draw): only gateways and start events may split the flow here."""
    for container in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess",
                               f"{{{BPMN}}}transaction", f"{{{BPMN}}}adHocSubProcess"):
        out: dict[str, int] = {}
        for flow in container.iterfind("bpmn:sequenceFlow", NS):
            out[flow.get("sourceRef", "")] = out.get(flow.get("sourceRef", ""), 0) + 1
        for el in container:
            if not isinstance(el.tag, str) or out.get(el.get("id", ""), 0) <= 1:
                continue
            local = _local(el)
            if local.endswith("Gateway") or local == "startEvent":
                continue
            report(el, el, f"{describe(el)} has {out[el.get('id', '')]} arrows out of it, "
                           "which cannot be run here: only a gateway may split the flow. Draw "
                           "a parallel gateway after it to take every way at once, or an "
                           "exclusive gateway to choose one")


def _refuse_event(el: etree._Element, local: str, report: Report) -> None:
    parent = el.getparent()
    if local == "eventDefinitionRef":
        report(el, parent, f"{describe(parent)} refers to an event definition kept outside "
                           "it, which is not read here: put the event definition inside the "
                           "event")
    elif local in _EVENT_DEFINITIONS and _local(parent).endswith("Event"):
        kind, fix = _EVENT_DEFINITIONS[local]
        report(el, parent, f"{describe(parent)} cannot be run here ({kind} events are not "
                           f"supported): {fix}")
    elif local.endswith("Event") and len(_definitions(el)) > 1:
        report(el, el, f"{describe(el)} has {len(_definitions(el))} triggers (a multiple "
                       "event), which cannot be run here: use an event-based gateway "
                       "followed by one event for each trigger")
    elif local == "startEvent" and _local(parent) == "process" \
            and any(_local(d) == "signalEventDefinition" for d in _definitions(el)):
        report(el, el, f"{describe(el)} would wait for ever: nothing outside a case sends "
                       "signals. Start the process with a plain or message start event")
    elif local == "startEvent" and parent.get("triggeredByEvent") == "true" \
            and el.get("isInterrupting", "true") != "false" \
            and {_local(d) for d in _definitions(el)} & _NOT_INTERRUPTING:
        report(el, el, f"{describe(el)} starts an interrupting event subprocess, which would "
                       "not stop the work it interrupts: make the start event non-interrupting "
                       "and end the case from the subprocess with a terminate end event")


def _refuse_decision_reference(el: etree._Element, report: Report) -> None:
    if _vendor_attr(el, "decisionRef") is not None:
        report(el, el, f"{describe(el)} uses Camunda's decisionRef, which is not read here: "
                       "name the decision with spiffworkflow:calledDecisionId (its outputs "
                       "become case variables)")
    elif el.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS) is None:
        report(el, el, f"{describe(el)} names no decision: choose the DMN decision it runs "
                       "(spiffworkflow:calledDecisionId)")


def _definitions(event: etree._Element) -> list[etree._Element]:
    return [d for d in event if isinstance(d.tag, str) and _local(d).endswith("EventDefinition")]


def _vendor_attr(el: etree._Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        qname = etree.QName(key)
        if not _quiet(qname.namespace) and qname.localname == name:
            return str(value)
    return None


def _refuse_foreign_code(root: etree._Element, report: Report) -> None:
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        script = task.find("bpmn:script", NS)
        resource = _vendor_attr(task, "resource")
        language = (task.get("scriptFormat") or "").strip()
        if resource is not None or script is None or not (script.text or "").strip():
            where = f"the external resource '{resource}'" if resource else "no script"
            report(task, task, f"{describe(task)} has {where}: write the Python script in the "
                               "task itself")
        elif language.lower() not in _PYTHON:
            report(script, task, f"{describe(task)} is written in {language}: write the "
                                 "script in Python")
    for tag in _EXPRESSIONS:
        for el in root.iterfind(f".//bpmn:{tag}", NS):
            language = _expression_language(el)
            if language:
                what = "condition" if "ondition" in tag else "expression"
                example = "`approved`" if what == "condition" else "`\"PT24H\"`"
                report(el, _owner(el), f"This {what} on {describe(_owner(el))} is written in "
                                       f"{language}; write it as a Python expression such as "
                                       f"{example}")


def _expression_language(el: etree._Element) -> str | None:
    text = (el.text or "").strip()
    declared = (el.get("language") or "").lower()
    parse = _TIMER_PARSERS.get(_local(el))
    if not text or (parse and text[0] in "'\"" and _parses(parse, text.strip("'\""))):
        return None  # empty (the lint says so), or an ISO 8601 literal: the same in any language
    if "getDataObject(" in text or "getDataInput(" in text:
        return "XPath"
    if text.startswith(("${", "#{")):
        return "JUEL"
    if text.startswith("=") and not text.startswith("=="):
        return "FEEL"
    for word, name in (("feel", "FEEL"), ("juel", "JUEL"), ("javascript", "JavaScript"),
                       ("ecmascript", "JavaScript"), ("groovy", "Groovy"), ("java", "Java"),
                       ("xpath", "XPath")):
        if word in declared:
            return name
    return None


def _quiet(namespace: str | None) -> bool:
    """Standard BPMN/DMN (and diagram) namespaces, and those that only carry layout."""
    return not namespace or namespace in _QUIET or "omg.org/spec/" in namespace


def _model(namespace: str | None) -> bool:
    """A BPMN or DMN model namespace (not diagram interchange, whose extras are layout)."""
    return namespace == BPMN or ("omg.org/spec/DMN" in (namespace or "")
                                 and "DI" not in namespace and "/DC" not in namespace)


def _ignored(root: etree._Element) -> Iterator[tuple[etree._Element, etree._Element, str, str]]:
    """(element, owner, 'prefix:name', namespace) of every vendor attribute and extension."""
    for el in _elements(root):
        namespace = etree.QName(el).namespace
        if _model(namespace):
            for key in el.attrib:
                attr = etree.QName(key)
                if not _quiet(attr.namespace) and not _refused_attribute(el, attr.localname):
                    yield el, el, _prefixed(el, attr), str(attr.namespace)
        elif not _quiet(namespace) and el.getparent() is not None \
                and _local(el.getparent()) == "extensionElements":
            owner = el.getparent().getparent()
            if owner is not None:
                yield el, owner, _prefixed(el, etree.QName(el)), str(namespace)


def _warn_vendor_extensions(root: etree._Element, report: Report) -> None:
    """Execution engines' extensions one by one (each meant something there); other tools'
    (layout, metadata) once per namespace, naming the first and counting the rest."""
    others: dict[str, list[tuple[etree._Element, etree._Element, str]]] = {}
    for el, owner, what, namespace in _ignored(root):
        if any(engine in namespace for engine in _ENGINES):
            advice = _EQUIVALENT.get(what.split(":")[1])
            fix = f": {advice}" if advice else ""
            report(el, owner, f"{what} on {describe(owner)} is ignored{fix}", "warning")
        else:
            others.setdefault(namespace, []).append((el, owner, what))
    for found in others.values():
        el, owner, what = found[0]
        more = len(found) - 1
        rest = f" and {more} more of its kind ({found[0][2].split(':')[0]}:*)" if more else ""
        report(el, owner, f"{what} on {describe(owner)}{rest} is ignored: it is the modelling "
                          "tool's own data", "warning")


def _refused_attribute(el: etree._Element, name: str) -> bool:
    return (name == "resource" and _local(el) == "scriptTask") or (
        name == "decisionRef" and _local(el) == "businessRuleTask")


def _prefixed(el: etree._Element, qname: etree.QName) -> str:
    prefixes: dict[Any, Any] = {v: k for k, v in el.nsmap.items()}
    prefix = prefixes.get(qname.namespace) or next(
        (name for name in ("zeebe", "camunda", "activiti", "flowable")
         if name in (qname.namespace or "")), "extension")
    return f"{prefix}:{qname.localname}"
