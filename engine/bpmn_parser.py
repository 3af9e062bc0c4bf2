"""SpiffWorkflow's parser, set up so the constructs it accepts run as BPMN and DMN say.

SpiffWorkflow 3.2 accepts, then runs wrongly:
- error and escalation start events of event subprocesses (read as plain start events, so the
  handler ran at the start of every case), and event subprocesses themselves (its check for
  ``triggeredByEvent`` looks for a namespaced attribute, so they were plain subprocesses);
- link events (no support: the flow ended at the throw event);
- DMN hit policies other than UNIQUE, FIRST and plain COLLECT (see ``dmn_hit_policies``).
Interruption by an interrupting event subprocess is in ``event_subprocesses`` (run time).
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffIntermediateThrowEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import SubWorkflowParser

from engine.dmn_hit_policies import HitPolicyEngine

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_LINK = f"{{{BPMN}}}linkEventDefinition"


def in_event_subprocess(node: etree._Element) -> bool:
    parent = node.getparent()
    return parent is not None and etree.QName(parent).localname == "subProcess" and (
        parent.get("triggeredByEvent") == "true")


def link_name(node: etree._Element) -> str | None:
    """The name a link event is matched by (its definition's name, else the event's)."""
    definition = node.find(_LINK)
    if definition is None:
        return None
    return definition.get("name") or node.get("name") or ""


def link_catch(throw: etree._Element) -> etree._Element | None:
    """The catch link event a throw link event continues at: same name, same (sub)process."""
    name = link_name(throw)
    parent = throw.getparent()
    if parent is None:
        return None
    for node in parent.iterchildren(f"{{{BPMN}}}intermediateCatchEvent"):
        if link_name(node) == name:
            return node
    return None


class _StartEventParser(SpiffStartEventParser):  # type: ignore[misc]
    """Start events, with error and escalation start events of event subprocesses."""

    def create_task(self) -> Any:
        xpaths = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH,
                  CONDITIONAL_EVENT_XPATH]
        if in_event_subprocess(self.node):
            xpaths += [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]
        task = self._create_task(self.get_event_definition(xpaths))
        self.spec.start.connect(task)
        return task


class _SubWorkflowParser(SubWorkflowParser):  # type: ignore[misc]
    """Subprocesses; those with ``triggeredByEvent="true"`` become event subprocesses."""

    def attribute(self, attribute: str, namespace: str | None = None,
                  node: Any = None) -> Any:
        if attribute == "triggeredByEvent" and namespace is None:
            return (node if node is not None else self.node).get(attribute) == "true" or None
        return super().attribute(attribute, namespace, node)


class _ProcessParser(SpiffProcessParser):  # type: ignore[misc]
    """Processes whose link events carry on: a throw link goes to the catch link of the same
    name, and a catch link is a pass-through event."""

    def parse_node(self, node: etree._Element) -> Any:
        if node.get("id") in self.spec.task_specs or link_name(node) is None:
            return super().parse_node(node)
        parser = SpiffIntermediateThrowEventParser(self, IntermediateThrowEvent, node,
                                                   self.nsmap, lane=self.lane)
        task_spec = parser.parse_node()
        catch = link_catch(node) if etree.QName(node).localname == (
            "intermediateThrowEvent") else None
        if catch is not None:
            task_spec.connect(self.parse_node(catch))
        return task_spec


class DefinitionParser(SpiffBpmnParser):  # type: ignore[misc]
    """The parser every definition is built with."""

    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser,
                                 SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
        full_tag("subProcess"): (_SubWorkflowParser,
                                 SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1]),
    }

    def get_engine(self, decision_ref: str, node: Any) -> Any:
        stock = super().get_engine(decision_ref, node)
        return HitPolicyEngine.from_parsed(stock.decision_table, self.dmn_parsers[decision_ref])
