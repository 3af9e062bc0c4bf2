"""Problems from SpiffWorkflow's parser, located and whole: file, source line, element, one line.

SpiffWorkflow's ``ValidationException`` carries the element's id, tag and file but rarely a line
(it reads ``node.line_number``, which lxml elements do not have), and its ``str()`` joins the
message and its notes with ". ", so cutting at the first ". " cut names such as "Data Store".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.lint import BPMN, Problem

# Shorter names than this are too likely to occur in a message by chance.
MIN_NAME = 3


def from_validation(exc: ValidationException, file: str,
                     roots: Mapping[str, etree._Element]) -> Problem:
    """SpiffWorkflow's semantic errors: located by the element's id when they carry no line,
    whole (its message and notes, never cut at '. '), on one line, naming the element type."""
    file = Path(exc.file_name).name if exc.file_name else file
    if file not in roots and roots:
        file = next(iter(roots))
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number > 0 else None
    element_id = getattr(exc, "id", "") or None
    message = _message(exc)
    element = _element(roots, element_id, file) if element_id else _named_in(roots.get(file),
                                                                               message)
    if element is not None:
        file = next((n for n, r in roots.items() if r is element.getroottree().getroot()), file)
        line = line or element.sourceline
        element_id = element_id or element.get("id") or None
    tag = str(getattr(exc, "tag", "") or "") or (_tag(element) if element is not None else "")
    if tag and message.rstrip().endswith("of type"):
        message = f"{message.rstrip()} {tag}"  # SpiffWorkflow leaves the type to be appended
    elif tag and tag not in message:
        message = f"{tag}: {message}"
    kinds = _event_definitions(element)
    if kinds and not any(k in message for k in kinds):
        message = f"{message.rstrip('. ')} (its event definition: {', '.join(kinds)})"
    elif element is not None and tag.endswith("Event") and not kinds and "Unsupported" in message:
        message = f"{message.rstrip('. ')}: it has no event definition (a boundary event needs one)"
    return Problem(file, line or (1 if file in roots else None), element_id, one_line(message))


def _message(exc: ValidationException) -> str:
    """The message and its notes; an exception SpiffWorkflow wrapped (its message with the
    element's XML in it) as its words only."""
    raw = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(raw, BaseException):
        words = raw.args[0] if raw.args and isinstance(raw.args[0], str) else str(raw)
        words = words.replace(": %r", "").replace("%r", "").strip()
        raw = (words if isinstance(raw, NotImplementedError)
               else f"SpiffWorkflow's parser failed on this element ({type(raw).__name__}: "
                    f"{words})")
    message = _unwrapped(str(raw))
    notes = [str(n) for n in exc.notes if str(n).strip()]
    if notes:
        message = message.rstrip(". ") + ". " + ". ".join(n.rstrip(". ") for n in notes)
    return message


_WRAPPED = re.compile(r"^(?P<kind>[A-Za-z]+(Error|Exception))\((?P<quote>['\"])(?P<words>.*?)"
                      r"(?P=quote)(, b?['\"].*)?\)$", re.DOTALL)


def _unwrapped(message: str) -> str:
    """SpiffWorkflow's task parser wraps any failure as ``"%r" % exc``
    (``NotImplementedError('Unsupported Catch Event: %r', b'<bpmn:boundaryEvent ...>')``):
    keep its words, without the element's XML."""
    found = _WRAPPED.match(message.strip())
    if found is None:
        return message
    words = found["words"].replace(": %r", "").replace("%r", "").strip()
    if found["kind"] == "NotImplementedError":
        return words
    return f"SpiffWorkflow's parser failed on this element ({found['kind']}: {words})"


def _tag(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"bpmn:{qname.localname}" if qname.namespace == BPMN else qname.localname


def _event_definitions(element: etree._Element | None) -> list[str]:
    """An event's definitions (bpmn:timerEventDefinition, ...), the kind of event it is."""
    if element is None or not etree.QName(element).localname.endswith("Event"):
        return []
    return [_tag(child) for child in element if isinstance(child.tag, str)
            and etree.QName(child).localname.endswith("EventDefinition")]


def _element(roots: Mapping[str, etree._Element], element_id: str,
             prefer: str) -> etree._Element | None:
    ordered = sorted(roots.items(), key=lambda item: item[0] != prefer)
    for _name, root in ordered:
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") == element_id:
                return el
    return None


def _named_in(root: etree._Element | None, message: str) -> etree._Element | None:
    """The element the message speaks of when SpiffWorkflow gives no id: the one whose name it
    quotes (data stores), or the data store lacking the name or id it asks for."""
    if root is None:
        return None
    named = [el for el in root.iter() if isinstance(el.tag, str)
             and len(el.get("name") or "") >= MIN_NAME and str(el.get("name")) in message]
    if named:
        return max(named, key=lambda el: len(el.get("name") or ""))
    if message.startswith("Data Store"):
        attribute = "name" if " name " in message else "id"
        return next((el for el in root.iterfind(f".//{{{BPMN}}}dataStore")
                     if not el.get(attribute)), None)
    return None


def unreadable(name: str, root: etree._Element, exc: Exception) -> Problem:
    """A parser failure that is not a ValidationException (SpiffWorkflow assumes well-formed
    BPMN/DMN): name the file and what it lacks, never a traceback."""
    kind = "DMN" if etree.QName(root).namespace != BPMN else "BPMN"
    if kind == "DMN" and not any(etree.QName(e).localname == "decision"
                                 for e in root.iter() if isinstance(e.tag, str)):
        return Problem(name, root.sourceline or 1, None, "the DMN file has no <decision>: add "
                                                         "the decision table the diagram calls")
    return Problem(name, root.sourceline or 1, None, one_line(
        f"the {kind} file cannot be read: {type(exc).__name__}: {exc}"))


def locate(roots: Mapping[str, etree._Element], element_id: str,
           prefer: str = "") -> tuple[str, int | None]:
    """The file and source line of the element with ``element_id`` (``prefer``'s file first);
    when no file has it, the first file at line 1, or "-" without files."""
    element = _element(roots, element_id, prefer)
    if element is not None:
        root = element.getroottree().getroot()
        name = next(n for n, r in roots.items() if r is root)
        return name, element.sourceline or 1
    if prefer in roots:
        return prefer, 1
    return (next(iter(roots)), 1) if roots else ("-", None)


def one_line(message: str) -> str:
    """Newlines and runs of spaces (in names, in SpiffWorkflow's messages) as one space: one
    line per problem, never cut."""
    return " ".join(message.split())
