"""BPMN elements in a policy lead's words: "Timer 'Initial checks overdue' on 'Initial checks'",
"Sequence flow from 'Decide on disclosure' to 'Second opinion'", never ``boundaryEvent
Event_1``.

Read from the XML element (lxml), so the diff can describe what a policy lead drew.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

# Element types by their BPMN tag; an unknown tag is split into words ("dataStoreReference" ->
# "Data store reference").
KINDS = {
    "userTask": "User task", "scriptTask": "Script task", "serviceTask": "Service task",
    "manualTask": "Manual task", "businessRuleTask": "Decision table task",
    "sendTask": "Send task", "receiveTask": "Receive task", "task": "Task",
    "callActivity": "Called process", "subProcess": "Subprocess",
    "adHocSubProcess": "Ad-hoc subprocess", "transaction": "Transaction",
    "exclusiveGateway": "Exclusive gateway", "parallelGateway": "Parallel gateway",
    "inclusiveGateway": "Inclusive gateway", "eventBasedGateway": "Event-based gateway",
    "complexGateway": "Complex gateway", "sequenceFlow": "Sequence flow",
    "messageFlow": "Message flow", "lane": "Lane", "process": "Process", "participant": "Pool",
    "startEvent": "Start event", "endEvent": "End event", "boundaryEvent": "Boundary event",
    "intermediateCatchEvent": "Intermediate event", "intermediateThrowEvent": "Intermediate event",
}
# An event by its definition: a boundary or catching timer is "Timer", as people say it.
EVENT_KINDS = {
    "timerEventDefinition": "Timer", "messageEventDefinition": "Message event",
    "errorEventDefinition": "Error event", "escalationEventDefinition": "Escalation event",
    "signalEventDefinition": "Signal event", "conditionalEventDefinition": "Conditional event",
    "terminateEventDefinition": "Terminate end event", "linkEventDefinition": "Link event",
    "compensateEventDefinition": "Compensation event", "cancelEventDefinition": "Cancel event",
}
_EVENT_PLACES = {"startEvent": "start", "endEvent": "end", "intermediateThrowEvent": "throw"}

# What changed, by the diff's field names.
FIELD_WORDS = {
    "type": "type", "name": "name", "lane": "lane", "form": "form",
    "condition": "condition", "default": "default path", "timer": "timer",
    "script": "script", "instructions": "instructions", "documentation": "documentation",
    "incoming": "flows in", "outgoing": "flows out", "source": "where it comes from",
    "target": "where it goes", "calledElement": "called process", "decision": "decision table",
    "event": "event", "boundary": "what it is attached to or whether it interrupts",
    "loop": "repetition", "other": "other settings",
}


def local_name(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def kind(el: Any) -> str:
    """The element's type in words ("User task", "Timer", "Message end event")."""
    tag = local_name(el)
    definition = next((local_name(c) for c in el if local_name(c).endswith("EventDefinition")),
                      None)
    if tag.endswith("Event") and definition:
        words = EVENT_KINDS.get(definition, "Event")
        place = _EVENT_PLACES.get(tag)
        if place and definition != "terminateEventDefinition":
            words = f"{words.removesuffix(' event')} {place} event"
        return words
    return KINDS.get(tag) or _words(tag)


def label(el: Any | None) -> str:
    """How an element is named in a sentence: its name in quotes, or its kind."""
    if el is None:
        return "an element that is not in the diagram"
    name = (el.get("name") or "").strip()
    return f"'{name}'" if name else f"an unnamed {kind(el).lower()}"


def where(el: Any, nodes: Mapping[str, Any]) -> str:
    """Where the element sits, when its name alone does not say: what a boundary event is
    attached to, what a flow connects."""
    tag = local_name(el)
    if tag == "boundaryEvent":
        return f"on {label(nodes.get(el.get('attachedToRef') or ''))}"
    if tag in ("sequenceFlow", "messageFlow", "association"):
        return (f"from {label(nodes.get(el.get('sourceRef') or ''))} "
                f"to {label(nodes.get(el.get('targetRef') or ''))}")
    return ""


def describe(kind_words: str, name: str | None, place: str) -> str:
    """ "Timer 'Initial checks overdue' on 'Initial checks'"; "Sequence flow from … to …"."""
    parts = [kind_words]
    if name and name.strip():
        parts.append(f"'{name.strip()}'")
    if place:
        parts.append(place)
    return " ".join(parts)


def _words(tag: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tag).lower()
    return spaced[:1].upper() + spaced[1:] if spaced else "Element"
