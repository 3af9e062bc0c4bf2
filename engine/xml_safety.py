"""Parse uploaded BPMN/DMN as hostile input: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ELEMENTS = 20_000
MAX_DEPTH = 64


class XmlProblem(Exception):
    """The file could not be read safely; ``line`` is set when the parser knows it."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.message}"


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=False, remove_pis=True,
    )


def parse_xml(data: bytes, filename: str) -> etree._Element:
    """Parse ``data`` or raise XmlProblem with a message a policy lead can act on."""
    if not isinstance(data, bytes):
        raise XmlProblem(filename, "the file must be given as bytes")
    if len(data) > MAX_FILE_BYTES:
        raise XmlProblem(filename, f"the file is {len(data):,} bytes; the limit is "
                                   f"{MAX_FILE_BYTES:,} bytes")
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise XmlProblem(filename, "DOCTYPE and ENTITY declarations are not allowed in "
                                   "process files; remove the <!DOCTYPE …> block")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlProblem(filename, f"not well-formed XML: {exc.msg}", exc.lineno) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise XmlProblem(filename, "DOCTYPE declarations are not allowed in process files")
    _check_shape(root, filename)
    return root


def _check_shape(root: etree._Element, filename: str) -> None:
    count = 0
    for element in root.iter():
        count += 1
        if count > MAX_ELEMENTS:
            raise XmlProblem(filename, f"the file has more than {MAX_ELEMENTS:,} elements")
        if isinstance(element, etree._Entity):
            raise XmlProblem(filename, "entity references are not allowed", element.sourceline)
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlProblem(filename, f"elements are nested more than {MAX_DEPTH} deep",
                             element.sourceline)
        stack.extend((child, depth + 1) for child in element)
