"""Which process files a path means, and which process ids to check in them.

Three layouts are read:

- a scheme folder (``processes/<scheme>/``): its BPMN/DMN files, ``scheme.json`` and
  ``forms/*.schema.json`` / ``*.ui.json``; the process id is the folder's name;
- a SpiffArena model folder: ``process_model.json`` names the primary file and process id, and
  forms are kept beside the diagram (``name.json`` / ``name_ui.json``), named by the BPMN's
  ``formJsonSchemaFilename`` / ``formUiSchemaFilename`` properties; they are read as
  ``forms/<name>`` so the rest of the engine sees one layout;
- a single exported file (``.bpmn``, ``.bpmn20.xml``, ``.dmn``): checked on its own, with the
  DMN tables, forms and declarations of its folder and the diagrams it calls, its process ids
  taken from the file (the executable processes, else a collaboration's participants, else the
  first process). A folder of exports with none of the above is checked file by file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine.scenario_file import FOLDER as SCENARIO_FOLDER
from engine.scenario_file import SUFFIX as SCENARIO_SUFFIX
from engine.scheme import DECLARATION_FILE, LETTER_FOLDER, LETTER_STYLESHEET, LETTER_SUFFIX
from engine.xml_safety import XmlProblem, parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
PROCESS_SUFFIXES = BPMN_SUFFIXES + DMN_SUFFIXES
FORM_SUFFIX = ".schema.json"
UI_SUFFIX = ".ui.json"
SPIFFARENA_MODEL = "process_model.json"
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
MAX_MODEL_BYTES = 100_000


def is_process_file(name: str) -> bool:
    return name.lower().endswith(PROCESS_SUFFIXES)


def is_bpmn_file(name: str) -> bool:
    return name.lower().endswith(BPMN_SUFFIXES)


@dataclass(frozen=True)
class CheckTarget:
    """One definition to check: its files (names relative to ``folder``) and top process ids.

    ``process_ids`` empty means "whatever the files hold" (a DMN file alone). ``refusal`` is set
    when the path cannot be checked at all (an empty folder), with the reason in plain words.
    """

    path: Path
    folder: Path
    files: Mapping[str, bytes] = field(default_factory=dict)
    process_ids: tuple[str, ...] = ()
    refusal: str = ""


def targets(path: Path) -> list[CheckTarget]:
    """What checking ``path`` means: one target per definition found."""
    if path.is_file():
        if not is_process_file(path.name):
            return [CheckTarget(path, path.parent, refusal=(
                "this is not a process file: give a .bpmn, .bpmn20.xml or .dmn file, or a "
                "process folder"))]
        return [file_target(path)]
    if not path.is_dir():
        return [CheckTarget(path, path, refusal="no such file or folder")]
    if _is_definition_folder(path):
        return [folder_target(path)]
    own = sorted(p for p in path.iterdir() if p.is_file() and is_process_file(p.name))
    if own:
        return [file_target(p) for p in own]
    found = [t for sub in sorted(p for p in path.iterdir()
                                 if p.is_dir() and not p.name.startswith("."))
             for t in targets(sub) if not t.refusal]
    return found or [CheckTarget(path, path, refusal=(
        "the folder has no process files (.bpmn, .bpmn20.xml or .dmn) and no process folders"))]


def _is_definition_folder(path: Path) -> bool:
    """A scheme folder (scheme.json, or a process named like the folder) or a SpiffArena one."""
    names = {p.name for p in path.iterdir() if p.is_file()}
    if SPIFFARENA_MODEL in names:
        return True
    if not any(is_process_file(n) for n in names):
        return False
    if DECLARATION_FILE in names:
        return True
    return any(path.name in _process_ids_in(path / n) for n in names if is_bpmn_file(n))


def folder_target(path: Path) -> CheckTarget:
    files = read_folder(path)
    model = _spiffarena_model(path)
    if model is not None:
        primary = str(model.get("primary_process_id") or "")
        if not primary:
            primary_file = path / str(model.get("primary_file_name") or "")
            ids = _process_ids_in(primary_file) if primary_file.is_file() else ()
            primary = ids[0] if ids else ""
        return CheckTarget(path, path, files, (primary,) if primary else ())
    return CheckTarget(path, path, files, (path.name,))


def file_target(path: Path) -> CheckTarget:
    """One file on its own, with its folder's DMN, forms and declarations and what it calls."""
    folder = path.parent
    files = {n: b for n, b in read_folder(folder).items() if not is_process_file(n)}
    files[path.name] = path.read_bytes()
    if not is_bpmn_file(path.name):
        return CheckTarget(path, folder, files, ())
    files.update(_called_files(path))
    return CheckTarget(path, folder, files, _process_ids_in(path))


def _called_files(path: Path) -> dict[str, bytes]:
    """The sibling files defining the processes and decisions ``path`` calls."""
    root = _root(path)
    if root is None:
        return {}
    wanted = {c.get("calledElement") for c in root.iterfind(".//bpmn:callActivity", NS)}
    wanted -= {p.get("id") for p in root.iterfind(".//bpmn:process", NS)}
    wanted |= {(d.text or "").strip()
               for d in root.iterfind(".//spiffworkflow:calledDecisionId", NS)}
    found: dict[str, bytes] = {}
    for sibling in sorted(path.parent.iterdir()):
        if not wanted or sibling == path or not is_process_file(sibling.name):
            continue
        defined = _defined_ids(sibling)
        if defined & wanted:
            found[sibling.name] = sibling.read_bytes()
            wanted -= defined
    return found


def _defined_ids(path: Path) -> set[str]:
    """The process ids (BPMN) or decision ids (DMN) a file defines."""
    root = _root(path)
    if root is None:
        return set()
    if etree.QName(root).namespace == BPMN:
        return set(top_process_ids(root, every=True))
    return {str(e.get("id")) for e in root.iter()
            if isinstance(e.tag, str) and etree.QName(e).localname == "decision" and e.get("id")}


def read_folder(path: str | Path) -> dict[str, bytes]:
    """A folder's BPMN/DMN files, scheme.json and forms: ``forms/*.schema.json`` / ``*.ui.json``,
    and SpiffArena's forms beside the diagram, named by its form properties, as ``forms/<name>``
    the policy lead's scenarios, ``scenarios/*.json``, and letter templates,
    ``letters/*.html`` with their ``letters/style.css`` (samples and demo plans are not part of
    the definition)."""
    base = Path(path)
    files = {p.name: p.read_bytes() for p in sorted(base.iterdir())
             if p.is_file() and (is_process_file(p.name) or p.name == DECLARATION_FILE)}
    forms = base / "forms"
    if forms.is_dir():
        for p in sorted(forms.iterdir()):
            if p.is_file() and (p.name.endswith(FORM_SUFFIX) or p.name.endswith(UI_SUFFIX)):
                files[f"forms/{p.name}"] = p.read_bytes()
    for name in sorted(_named_forms(files)):
        beside = base / name
        if f"forms/{name}" not in files and "/" not in name and beside.is_file():
            files[f"forms/{name}"] = beside.read_bytes()
    letters = base / LETTER_FOLDER
    if letters.is_dir():
        files.update({f"{LETTER_FOLDER}{p.name}": p.read_bytes()
                      for p in sorted(letters.iterdir())
                      if p.is_file() and (p.name.endswith(LETTER_SUFFIX)
                                          or f"{LETTER_FOLDER}{p.name}" == LETTER_STYLESHEET)})
    scenarios = base / SCENARIO_FOLDER
    if scenarios.is_dir():
        files.update({f"{SCENARIO_FOLDER}{p.name}": p.read_bytes()
                      for p in sorted(scenarios.iterdir())
                      if p.is_file() and p.name.endswith(SCENARIO_SUFFIX)})
    return files


def _named_forms(files: Mapping[str, bytes]) -> set[str]:
    names: set[str] = set()
    for name, data in files.items():
        if is_bpmn_file(name):
            names.update(named_form_files(data, name))
    return names


def named_form_files(data: bytes, name: str = "") -> dict[str, str]:
    """Every form file a diagram names: {"form.json": kind}; kind is the property name."""
    try:
        root = parse_xml(data, name)
    except XmlProblem:
        return {}
    return {(p.get("value") or "").strip(): p.get("name") or ""
            for p in root.iterfind(".//spiffworkflow:property", NS)
            if p.get("name") in FORM_PROPERTIES and (p.get("value") or "").strip()}


def ui_form_names(roots: Mapping[str, etree._Element]) -> set[str]:
    """Form files the diagrams name as UI schemas (``formUiSchemaFilename``)."""
    return {(p.get("value") or "").strip() for root in roots.values()
            for p in root.iterfind(".//spiffworkflow:property", NS)
            if p.get("name") == FORM_PROPERTIES[1]}


def _spiffarena_model(path: Path) -> dict[str, object] | None:
    model = path / SPIFFARENA_MODEL
    if not model.is_file() or model.stat().st_size > MAX_MODEL_BYTES:
        return None
    try:
        doc = json.loads(model.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _root(path: Path) -> etree._Element | None:
    try:
        return parse_xml(path.read_bytes(), path.name)
    except (XmlProblem, OSError):
        return None


def _process_ids_in(path: Path, *, every: bool = False) -> tuple[str, ...]:
    root = _root(path)
    if root is None or etree.QName(root).namespace != BPMN:
        return ()
    return tuple(top_process_ids(root, every=every))


def top_process_ids(root: etree._Element, *, every: bool = False) -> Iterator[str]:
    """The process ids to check in one diagram: the executable processes, else the processes of
    a collaboration's participants, else the first process; processes another one calls are
    checked through their caller. ``every``: all process ids."""
    processes = [p for p in root.iterfind("bpmn:process", NS) if p.get("id")]
    if every:
        yield from (str(p.get("id")) for p in processes)
        return
    called = {c.get("calledElement") for c in root.iterfind(".//bpmn:callActivity", NS)}
    candidates = [p for p in processes if p.get("id") not in called] or processes
    executable = [p for p in candidates if (p.get("isExecutable") or "").lower() == "true"]
    refs = {r.get("processRef") for r in root.iterfind("bpmn:collaboration/bpmn:participant", NS)}
    in_pools = [p for p in candidates if p.get("id") in refs and len(p)]
    chosen = executable or in_pools or candidates[:1]
    yield from (str(p.get("id")) for p in chosen)


def unlaned_user_tasks(roots: Mapping[str, etree._Element]) -> set[str]:
    """Ids of the user tasks drawn outside any lane (nor inside a subprocess in a lane)."""
    unlaned: set[str] = set()
    for root in roots.values():
        laned = {(ref.text or "").strip() for ref in root.iterfind(".//bpmn:flowNodeRef", NS)}
        for task in root.iterfind(".//bpmn:userTask", NS):
            node: etree._Element | None = task
            while node is not None and (node.get("id") or "") not in laned:
                node = node.getparent()
            if node is None and task.get("id"):
                unlaned.add(str(task.get("id")))
    return unlaned
