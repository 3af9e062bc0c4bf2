"""How the checks name a diagram element to a policy lead: by its kind and its name, as the
studio shows it, with the id only when the element has no name."""

from __future__ import annotations

from lxml import etree

_KINDS = {
    "userTask": "user task", "scriptTask": "script task", "serviceTask": "service task",
    "businessRuleTask": "decision task", "manualTask": "manual task", "task": "task",
    "sendTask": "send task", "receiveTask": "receive task", "callActivity": "stage",
    "subProcess": "subprocess", "transaction": "transaction", "adHocSubProcess": "subprocess",
    "startEvent": "start event", "endEvent": "end event", "boundaryEvent": "boundary event",
    "intermediateCatchEvent": "event", "intermediateThrowEvent": "event",
    "exclusiveGateway": "exclusive gateway", "parallelGateway": "parallel gateway",
    "inclusiveGateway": "inclusive gateway", "eventBasedGateway": "event-based gateway",
    "complexGateway": "complex gateway", "sequenceFlow": "arrow", "lane": "lane",
    "process": "process", "conditionExpression": "condition",
}


def kind_of(element: etree._Element) -> str:
    """The element's kind in plain words ("user task", "exclusive gateway")."""
    local = etree.QName(element).localname
    return _KINDS.get(local, local)


def label(element: etree._Element) -> str:
    """``the user task 'Enter details'``, or ``the user task with no name (Activity_1)``."""
    name = " ".join((element.get("name") or "").split())
    if name:
        return f"the {kind_of(element)} '{name}'"
    return f"the {kind_of(element)} with no name ({element.get('id') or 'no id'})"


def code_place(el: etree._Element) -> str:
    """Which piece of code, in a policy lead's words."""
    local = etree.QName(el).localname
    parent = el.getparent()
    if local == "conditionExpression" and parent is not None:
        source = parent.getroottree().getroot().xpath(
            "//*[@id=$i]", i=parent.get("sourceRef") or "")
        way = f"'{parent.get('name')}' " if parent.get("name") else ""
        after = f" out of {label(source[0])}" if source else ""
        return f"the condition on the way {way}{after}".replace("  ", " ")
    if local == "text" and parent is not None:  # DMN: an input expression or a rule's entry
        return _dmn_place(parent)
    holder = owner(el)
    what = {"script": "the script of", "preScript": "the script run before",
            "postScript": "the script run after", "messagePayload": "the message sent by",
            "loopCardinality": "the number of times to repeat",
            "completionCondition": "the condition that ends the repeats of",
            "parameter": "a parameter of"}.get(local)
    if what is None:
        what = "the timer of" if local.startswith("time") else f"the {local} of"
    return f"{what} {label(holder)}" if holder is not None else what


def _dmn_place(cell: etree._Element) -> str:
    decision = next((n for n in cell.iterancestors()
                     if isinstance(n.tag, str) and etree.QName(n).localname == "decision"), None)
    table = "?" if decision is None else (decision.get("name") or decision.get("id") or "?")
    if etree.QName(cell).localname == "inputExpression":
        column = cell.getparent()
        heading = (column.get("label") or column.get("id")) if column is not None else None
        return f"the input '{heading or '?'}' of the decision table '{table}'"
    rule = cell.getparent()
    rules = [] if rule is None or rule.getparent() is None else [
        n for n in rule.getparent() if isinstance(n.tag, str)
        and etree.QName(n).localname == "rule"]
    number = rules.index(rule) + 1 if rule in rules else "?"
    return f"rule {number} of the decision table '{table}'"


def owner(el: etree._Element) -> etree._Element | None:
    """The diagram element a piece of code belongs to (a task, event or arrow)."""
    node = el.getparent()
    while node is not None and not (node.get("id") and
                                    etree.QName(node).localname not in (
                                        "timerEventDefinition", "messageEventDefinition",
                                        "multiInstanceLoopCharacteristics")):
        node = node.getparent()
    return node


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
