"""Problems from SpiffWorkflow's parser, located and whole: file, source line, element, one line.

SpiffWorkflow's ``ValidationException`` carries the element's id, tag and file but rarely a line
(it reads ``node.line_number``, which lxml elements do not have), and its ``str()`` joins the
message and its notes with ". ", so cutting at the first ". " cut names such as "Data Store".
"""

from __future__ import annotations

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
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number > 0 else None
    element_id = getattr(exc, "id", "") or None
    if line is None and element_id:
        found_file, found_line = locate(roots, element_id, prefer=file)
        if found_line:
            file, line = found_file, found_line
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    if line is None and not element_id:
        named = _named_in(roots.get(file), message)
        if named is not None:
            line, element_id = named.sourceline, named.get("id") or None
    if file not in roots and roots:
        file = next(iter(roots))
    notes = [str(n) for n in getattr(exc, "notes", []) if str(n).strip()]
    if notes:
        message = message.rstrip(". ") + ". " + ". ".join(n.rstrip(". ") for n in notes)
    tag = str(getattr(exc, "tag", "") or "")
    if tag and message.rstrip().endswith("of type"):
        message = f"{message.rstrip()} {tag}"  # SpiffWorkflow leaves the type to be appended
    elif tag and tag not in message:
        message = f"{tag}: {message}"
    return Problem(file, line or (1 if file in roots else None), element_id, one_line(message))


def _named_in(root: etree._Element | None, message: str) -> etree._Element | None:
    """The element whose name the message quotes (SpiffWorkflow names data stores, not ids)."""
    if root is None:
        return None
    named = [el for el in root.iter() if isinstance(el.tag, str)
             and len(el.get("name") or "") >= MIN_NAME and str(el.get("name")) in message]
    return max(named, key=lambda el: len(el.get("name") or ""), default=None)


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
    ordered = sorted(roots.items(), key=lambda item: item[0] != prefer)
    for name, root in ordered:
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") == element_id:
                return name, el.sourceline or 1
    if prefer in roots:
        return prefer, 1
    return (ordered[0][0], 1) if ordered else ("-", None)


def one_line(message: str) -> str:
    """Newlines and runs of spaces (in names, in SpiffWorkflow's messages) as one space: one
    line per problem, never cut."""
    return " ".join(message.split())
