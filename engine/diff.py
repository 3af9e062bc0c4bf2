"""What changed between two versions of a process definition, element by element.

Compared from the XML, not the parsed spec, so a policy lead sees the BPMN elements they drew
(sequence flows, lanes, forms, instructions) rather than SpiffWorkflow's internal task specs.
Diagram interchange (shape coordinates, waypoints, labels) is ignored entirely: moving a box is
not a new version of the process as far as anyone working a case is concerned. Nor is an
attribute left out at its BPMN default (bpmn-js drops ``cancelActivity="true"`` on saving).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from engine import element_words
from engine.definitions import Definition
from engine.errors import EngineError
from engine.lint import BPMN, FORM_PROPERTY, NS, SPIFF, UI_PROPERTY
from engine.xml_safety import XmlProblem, parse_xml

# Fields in the order they are reported.
FIELDS = ("type", "name", "lane", "form", "condition", "default", "timer", "script",
          "instructions", "documentation", "incoming", "outgoing", "source", "target",
          "calledElement", "decision", "event", "boundary", "loop", "other")
CLASSES = {"added": "diff-added", "removed": "diff-removed", "changed": "diff-changed"}

# Children of a process that are structure or settings, not elements of their own.
_NOT_ELEMENTS = {"laneSet", "extensionElements", "documentation", "ioSpecification", "property",
                 "incoming", "outgoing"}
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_HANDLED_ATTRS = {"id", "name", "default", "calledElement", "attachedToRef", "cancelActivity",
                  "sourceRef", "targetRef"}
_HANDLED_CHILDREN = {"documentation", "incoming", "outgoing", "conditionExpression", "script",
                     "extensionElements", "multiInstanceLoopCharacteristics",
                     "standardLoopCharacteristics", "laneSet"}
_HANDLED_EXTENSIONS = {"instructionsForEndUser", "preScript", "postScript", "calledDecisionId",
                       "properties"}
_FORM_PROPERTIES = {FORM_PROPERTY, UI_PROPERTY}
# BPMN 2.0 attribute defaults (Semantic.xsd): written out or left out, they mean the same.
_DEFAULTS = {"cancelActivity": "true", "isInterrupting": "true", "parallelMultiple": "false",
             "isForCompensation": "false", "startQuantity": "1", "completionQuantity": "1",
             "gatewayDirection": "Unspecified", "instantiate": "false",
             "eventGatewayType": "Exclusive", "processType": "None", "isClosed": "false",
             "triggeredByEvent": "false", "isSequential": "false", "behavior": "All",
             "testBefore": "false", "isCollection": "false", "textFormat": "text/plain",
             "method": "##Compensate", "waitForCompletion": "true"}
_BOOLEANS = {"1": "true", "0": "false"}


@dataclass(frozen=True)
class ElementChange:
    """One BPMN element that was added, removed or changed.

    ``process_id`` is empty for elements outside any process (messages, errors, escalations,
    signals, participants). ``fields`` lists what changed, in :data:`FIELDS` order; it is
    empty for added and removed elements. ``kind`` is the type in words and ``where`` what a
    boundary event is attached to or what a flow connects (see :mod:`engine.element_words`).
    """

    element_id: str
    process_id: str
    tag: str
    name: str | None
    fields: tuple[str, ...] = ()
    kind: str = ""
    where: str = ""
    ends: tuple[str, ...] = ()  # a flow's source and target ids (then, if changed, the old)

    @property
    def description(self) -> str:
        """ "Timer 'Initial checks overdue' on 'Initial checks'"."""
        return element_words.describe(self.kind or self.tag, self.name, self.where)

    @property
    def changed_words(self) -> tuple[str, ...]:  # what changed, in words ("where it goes")
        return tuple(element_words.FIELD_WORDS.get(f, f) for f in self.fields)


@dataclass(frozen=True)
class DefinitionDiff:
    """Element-level changes between two definition versions, plus form and DMN file changes."""

    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]
    forms_added: tuple[str, ...]
    forms_removed: tuple[str, ...]
    forms_changed: tuple[str, ...]
    decisions_changed: tuple[str, ...]  # DMN files added, removed or changed (DI ignored)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.forms_added
                    or self.forms_removed or self.forms_changed or self.decisions_changed)

    def colour_classes(self, side: Literal["old", "new", "both"] = "both") -> dict[str, str]:
        """CSS class per element id for highlighting a diagram (``diff-added`` and so on).

        The old diagram can only show removed and changed elements, the new one only added
        and changed ones; ``both`` suits a combined legend.
        """
        classes: dict[str, str] = {}
        if side in ("new", "both"):
            classes.update((c.element_id, CLASSES["added"]) for c in self.added)
        if side in ("old", "both"):
            classes.update((c.element_id, CLASSES["removed"]) for c in self.removed)
        classes.update((c.element_id, CLASSES["changed"]) for c in self.changed)
        return classes


@dataclass(frozen=True)
class _Element:
    element_id: str
    process_id: str
    tag: str
    name: str | None
    signature: Mapping[str, Any]
    kind: str = ""
    where: str = ""


_cache: dict[tuple[str, str], DefinitionDiff] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 64


def diff_definitions(old: Definition, new: Definition) -> DefinitionDiff:
    """Everything that changed from ``old`` to ``new`` (cached per pair of content hashes)."""
    key = (old.content_hash, new.content_hash)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    before, after = _elements(old.files), _elements(new.files)
    changed = []
    for key_, element in after.items():
        if key_ in before:
            fields = _changed_fields(before[key_].signature, element.signature)
            if fields:
                changed.append(_change(element, fields, before[key_]))
    forms = _json_files(old.files, "forms/"), _json_files(new.files, "forms/")
    result = DefinitionDiff(
        added=tuple(_change(e) for k, e in after.items() if k not in before),
        removed=tuple(_change(e) for k, e in before.items() if k not in after),
        changed=tuple(changed),
        forms_added=tuple(sorted(forms[1].keys() - forms[0].keys())),
        forms_removed=tuple(sorted(forms[0].keys() - forms[1].keys())),
        forms_changed=tuple(sorted(n for n in forms[0].keys() & forms[1].keys()
                                   if forms[0][n] != forms[1][n])),
        decisions_changed=_dmn_changes(old.files, new.files),
    )
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = result
    return result


def _change(element: _Element, fields: tuple[str, ...] = (),
            before: _Element | None = None) -> ElementChange:
    ends = [element.signature.get(k) or "" for k in ("source", "target")]
    ends += [before.signature.get(k) or "" for k in ("source", "target")] if before else []
    return ElementChange(element.element_id, element.process_id, element.tag, element.name,
                         fields, element.kind, element.where, tuple(ends))


def _changed_fields(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f for f in FIELDS if a.get(f) != b.get(f))


# -- reading elements ------------------------------------------------------------------------
def _parse(data: bytes, name: str) -> Any:
    try:
        return parse_xml(data, name)
    except XmlProblem as exc:
        raise EngineError("definition_invalid", f"{name} cannot be compared: {exc}") from exc


def _elements(files: Mapping[str, bytes]) -> dict[tuple[str, str], _Element]:
    """Every element of every BPMN file, keyed by (process id, element id), in document order."""
    found: dict[tuple[str, str], _Element] = {}
    for name in sorted(files):
        if not name.endswith(".bpmn"):
            continue
        root = _parse(files[name], name)
        nodes = {el.get("id"): el for el in root.iter()
                 if isinstance(el.tag, str) and el.get("id")}
        for child in root:
            tag = _local(child)
            if tag == "process":
                _read_process(child, found, nodes)
            elif tag == "collaboration":
                for part in child:
                    _add(found, part, "", {"nodes": nodes})
            elif etree.QName(child).namespace == BPMN:
                _add(found, child, "", {"nodes": nodes})
    return found


def _read_process(process: Any, found: dict[tuple[str, str], _Element],
                  nodes: Mapping[str, Any]) -> None:
    pid = process.get("id") or ""
    lanes = {(ref.text or "").strip(): ref.getparent().get("name") or ""
             for ref in process.iterfind(".//bpmn:flowNodeRef", NS)}
    flows_in: dict[str, set[str]] = {}
    flows_out: dict[str, set[str]] = {}
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        flows_out.setdefault(flow.get("sourceRef") or "", set()).add(flow.get("id") or "")
        flows_in.setdefault(flow.get("targetRef") or "", set()).add(flow.get("id") or "")
    context = {"lanes": lanes, "in": flows_in, "out": flows_out, "nodes": nodes}
    _add(found, process, pid, context)
    for lane in process.iterfind(".//bpmn:lane", NS):
        _add(found, lane, pid, {"nodes": nodes})
    stack = [process]
    while stack:
        container = stack.pop(0)
        for child in container:
            if _is_element(child):
                _add(found, child, pid, context)
                if _local(child) in _CONTAINERS:
                    stack.append(child)


def _is_element(el: Any) -> bool:
    return (isinstance(el.tag, str) and etree.QName(el).namespace == BPMN
            and bool(el.get("id")) and _local(el) not in _NOT_ELEMENTS)


def _add(found: dict[tuple[str, str], _Element], el: Any, pid: str,
         context: Mapping[str, Any]) -> None:
    if not isinstance(el.tag, str) or not el.get("id"):
        return
    element_id = el.get("id")
    tag = _local(el)
    signature = _lane_signature(el) if tag == "lane" else _signature(el, tag, context)
    found[(pid, element_id)] = _Element(
        element_id, pid, tag, el.get("name"), signature, element_words.kind(el),
        element_words.where(el, context.get("nodes", {})))


def _lane_signature(lane: Any) -> dict[str, Any]:
    # Which nodes a lane holds is reported on the nodes ('lane'), not on both lanes.
    return {"type": "lane", "name": lane.get("name"),
            "documentation": _texts(lane, "documentation")}


def _signature(el: Any, tag: str, context: Mapping[str, Any]) -> dict[str, Any]:
    element_id = el.get("id")
    ext = _extensions(el)
    signature: dict[str, Any] = {
        "type": tag,
        "name": el.get("name"),
        "lane": _lane_of(el, context.get("lanes", {})),
        "documentation": _texts(el, "documentation"),
        "incoming": tuple(sorted(context.get("in", {}).get(element_id, set())
                                 | _refs(el, "incoming"))),
        "outgoing": tuple(sorted(context.get("out", {}).get(element_id, set())
                                 | _refs(el, "outgoing"))),
        "source": el.get("sourceRef"),
        "target": el.get("targetRef"),
        "condition": _texts(el, "conditionExpression"),
        "default": el.get("default"),
        "calledElement": el.get("calledElement"),
        "boundary": (el.get("attachedToRef"), _value("cancelActivity", el.get("cancelActivity")))
        if tag == "boundaryEvent" else None,
        "form": tuple(sorted((k, v) for k, v in _properties(el).items()
                             if k in _FORM_PROPERTIES)),
        "instructions": ext.get("instructionsForEndUser"),
        "script": (_texts(el, "script"), ext.get("preScript"), ext.get("postScript")),
        "decision": ext.get("calledDecisionId"),
        "timer": _canon_all(c for c in el if _local(c) == "timerEventDefinition"),
        "event": _canon_all(c for c in el if _local(c).endswith("EventDefinition")
                            and _local(c) != "timerEventDefinition"),
        "loop": _canon_all(c for c in el if _local(c).endswith("LoopCharacteristics")),
        "other": _other(el),
    }
    return {k: v for k, v in signature.items() if v not in (None, "", (), ("", None, None))}


def _lane_of(el: Any, lanes: Mapping[str, str]) -> str | None:
    node = el
    while node is not None:
        lane = lanes.get(node.get("id") or "")
        if lane is not None:
            return lane
        node = node.getparent()
    return None


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _texts(el: Any, tag: str) -> str:
    return "\n".join((c.text or "").strip() for c in el if _local(c) == tag).strip()


def _refs(el: Any, tag: str) -> set[str]:
    return {(c.text or "").strip() for c in el if _local(c) == tag}


def _extensions(el: Any) -> dict[str, str]:
    return {_local(c): (c.text or "").strip()
            for c in el.iterfind("bpmn:extensionElements/*", NS)
            if etree.QName(c).namespace == SPIFF and _local(c) in _HANDLED_EXTENSIONS}


def _properties(el: Any) -> dict[str, str]:
    return {p.get("name"): p.get("value") or ""
            for p in el.iterfind("bpmn:extensionElements/spiffworkflow:properties/"
                                 "spiffworkflow:property", NS)}


def _other(el: Any) -> str:
    """Everything about an element the named fields do not cover, as a canonical string."""
    attrs = [a for a in _attributes(el) if a[0] not in _HANDLED_ATTRS]
    parts: list[Any] = [attrs]
    for child in el:
        tag = _local(child)
        if not tag or tag in _HANDLED_CHILDREN or tag.endswith("EventDefinition"):
            continue
        if _local(el) in _CONTAINERS and _is_element(child):
            continue  # a container's own elements are compared on their own
        parts.append(_canon(child))
    for ext in el.iterfind("bpmn:extensionElements/*", NS):
        if _local(ext) == "properties":
            extra = sorted((k, v) for k, v in _properties(el).items()
                           if k not in _FORM_PROPERTIES)
            if extra:
                parts.append(("properties", extra))
        elif _local(ext) not in _HANDLED_EXTENSIONS or etree.QName(ext).namespace != SPIFF:
            parts.append(_canon(ext))
    return "" if parts == [[]] else repr(parts)


def _canon(el: Any) -> tuple[Any, ...]:
    """A comparable form of a subtree: tag, sorted attributes, stripped text, children."""
    return (etree.QName(el).text, tuple(_attributes(el)), (el.text or "").strip(),
            tuple(_canon(c) for c in el if isinstance(c.tag, str)))


def _value(name: str, value: str | None) -> str | None:
    """An attribute's value as it means: a BPMN default left out is the default."""
    if value is None:
        return _DEFAULTS.get(name)
    value = value.strip()
    return _BOOLEANS.get(value, value) if _DEFAULTS.get(name) in ("true", "false") else value


def _attributes(el: Any) -> list[tuple[str, str]]:
    """The attributes that say something, sorted: one at its BPMN default is left out."""
    found = []
    for key, value in el.attrib.items():
        meant = _value(key, value)
        if key in _DEFAULTS and meant == _DEFAULTS[key]:
            continue
        found.append((key, meant or ""))
    return sorted(found)


def _canon_all(elements: Iterable[Any]) -> str:
    found = [_canon(e) for e in elements]
    return repr(found) if found else ""


# -- forms and decision tables ---------------------------------------------------------------
def _json_files(files: Mapping[str, bytes], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, data in files.items():
        if name.startswith(prefix):
            try:
                out[name.removeprefix(prefix)] = json.loads(data)
            except (ValueError, UnicodeDecodeError):
                out[name.removeprefix(prefix)] = data
    return out


def _dmn_changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> tuple[str, ...]:
    names = {n for n in (*old, *new) if n.endswith(".dmn")}
    changed = []
    for name in sorted(names):
        if name not in old or name not in new:
            changed.append(name)
        elif old[name] != new[name] and _dmn_canon(old[name], name) != _dmn_canon(new[name], name):
            changed.append(name)
    return tuple(changed)


def _dmn_canon(data: bytes, name: str) -> tuple[Any, ...]:
    root = _parse(data, name)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and "DMNDI" in (etree.QName(el).namespace or "").upper():
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
    return _canon(root)
