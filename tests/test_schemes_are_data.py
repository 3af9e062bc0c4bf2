"""No Python file in webapp/ or engine/ names a scheme: its folder name, a BPMN element id, a
message name or a form field of any scheme folder (processes/*/ and tests/fixtures/*/ with a
scheme.json) appears there as a string literal."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SCHEME_FOLDERS = sorted(
    p.parent for pattern in ("processes/*/scheme.json", "tests/fixtures/*/scheme.json")
    for p in ROOT.glob(pattern))
CODE = ("webapp", "engine")

# Words a scheme uses that are also the product's own generic words. Keep this tiny.
ALLOWED = {
    "decision": "a DMN decision (engine), the approve/refuse POST field, a demo user prefix",
    "recipient": "the key of a disclose entry in scheme.json's s62 (the declaration format)",
    "children": "the key SpiffWorkflow's serialized task keeps its child ids under",
    "route": "the Prometheus label naming a request's URL pattern (webapp/metrics.py)",
}


def _bpmn_names(path: Path) -> set[str]:
    names = set()
    for element in ElementTree.parse(path).iter():  # noqa: S314 - our own checked-in files
        if "id" in element.attrib:
            names.add(element.attrib["id"])
        if element.tag.endswith("}message") and element.attrib.get("name"):
            names.add(element.attrib["name"])
    return names


def _form_fields(path: Path) -> set[str]:
    schema = json.loads(path.read_text())
    props = schema.get("properties") if isinstance(schema, dict) else None
    return set(props) if isinstance(props, dict) else set()


def scheme_names() -> dict[str, str]:
    """Every name a scheme owns -> where it comes from."""
    names: dict[str, str] = {}
    for folder in SCHEME_FOLDERS:
        rel = folder.relative_to(ROOT)
        names.setdefault(folder.name, f"{rel} (folder)")
        for bpmn in folder.glob("*.bpmn"):
            for name in _bpmn_names(bpmn):
                names.setdefault(name, str(bpmn.relative_to(ROOT)))
        for form in (folder / "forms").glob("*.schema.json"):
            for name in _form_fields(form):
                names.setdefault(name, str(form.relative_to(ROOT)))
    return {k: v for k, v in names.items() if k not in ALLOWED}


def _python_files() -> list[Path]:
    return sorted(p for top in CODE for p in (ROOT / top).rglob("*.py")
                  if "migrations" not in p.relative_to(ROOT).parts)


def _string_literals(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_scan_sees_every_scheme_and_its_names():
    folders = {f.name for f in SCHEME_FOLDERS}
    assert {"csods", "dvds", "toy"} <= folders
    names = scheme_names()
    for expected in ("ut_toy_intake", "ReporterWithdraws", "violence_feared", "csods",
                     "ca_enquiry", "applicant"):
        assert expected in names, expected


def test_no_python_outside_tests_names_a_scheme():
    names = scheme_names()
    found = [f"{path.relative_to(ROOT)}:{line}: {value!r} (from {names[value]})"
             for path in _python_files() for line, value in _string_literals(path)
             if value in names]
    assert not found, "Python names a scheme's folder, element id, message or form field:\n" + (
        "\n".join(found))
