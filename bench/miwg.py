"""Run the process check over the BPMN MIWG test suite and count what it says.

The suite is the public repository bpmn-miwg/bpmn-miwg-test-suite (its Reference folder and one
folder per vendor's exports). Point ``MIWG_SUITE`` at a checkout (default /work/miwg); without it
the run is skipped. Every BPMN file is checked on its own, as ``process_check <file>`` does, and
the run counts files, files with no error, errors by kind, and the failures that must never
happen: tracebacks, problems with no line (line 0) and messages cut or spread over lines.

    .venv/bin/python bench/miwg.py            # prints the figures
    .venv/bin/python bench/miwg.py --write    # and records them in docs/miwg.md
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from engine import Problem, check_files  # noqa: E402
from engine.process_files import BPMN, SPIFF, file_target, is_bpmn_file  # noqa: E402

DEFAULT_SUITE = Path("/work/miwg")
DOC = ROOT / "docs" / "miwg.md"
# A message ends whole: not with a dangling word cut at ". " (e.g. "with name Data").
_KINDS = [
    ("not in the BPMN namespace", r"not a BPMN or DMN file"),
    ("not well-formed or unsafe XML", r"not well-formed|DOCTYPE|ENTITY|nested more|more than"),
    ("fails the BPMN schema (XSD)", r"^Element '"),
    ("plain task (no form, no lane)", r"plain task"),
    ("unsupported element (named with its type)", r"[Nn]o support|not supported|unsupported|"
                                                  r"cannot be run here"),
    ("user task needs a lane or form", r"^user task|^lane '|^form '|^UI schema '|is not in a "
                                       r"lane|is in the lane '|has no form|uses the form '"),
    ("flow references inconsistent", r"sequence flow|<bpmn:(incoming|outgoing)>|sourceRef|"
                                     r"targetRef"),
    ("expression or script does not compile or is empty", r"compile|sandbox|is empty"),
    ("timer", r"timer"),
    ("reference to a missing element", r"does not (exist|name)|not a process|not a DMN|"
                                       r"not found|called|calledElement"),
    ("process not executable", r"is not executable"),
    ("the process cannot be built", r"cannot be built|cannot be read|no process"),
    ("other refusal by SpiffWorkflow's parser", r"^bpmn:|implementation"),
]
_LANES_AND_FORMS = {"plain task (no form, no lane)", "user task needs a lane or form"}


def suite_path() -> Path | None:
    path = Path(os.environ.get("MIWG_SUITE", str(DEFAULT_SUITE)))
    return path if (path / "Reference").is_dir() else None


def suite_files(suite: Path) -> list[Path]:
    """Every BPMN file of the Reference folder and the vendors' export folders."""
    folders = [p for p in sorted(suite.iterdir()) if p.is_dir() and not p.name.startswith(".")
               and p.name != "Work in Progress"]
    return [f for folder in folders for f in sorted(folder.rglob("*"))
            if f.is_file() and is_bpmn_file(f.name)]


def kind_of(problem: Problem) -> str:
    for kind, pattern in _KINDS:
        if re.search(pattern, problem.message):
            return kind
    return "other"


@dataclass
class Figures:
    files: int = 0
    ok: int = 0
    lanes_and_forms_only: int = 0  # files whose only errors are lanes, forms and plain tasks
    pass_when_given: int = 0  # of those, the files that pass once given user tasks and forms
    errors: Counter[str] = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    unnamed_refusals: list[str] = field(default_factory=list)
    given: list[Path] = field(default_factory=list)
    failing_when_given: list[str] = field(default_factory=list)
    folders: Counter[str] = field(default_factory=Counter)  # files checked per folder
    failing: Counter[str] = field(default_factory=Counter)  # traceback/line 0/cut per folder

    def add(self, path: Path, problems: list[Problem]) -> None:
        self.files += 1
        errors = [p for p in problems if p.severity == "error"]
        if not errors:
            self.ok += 1
        elif all(kind_of(p) in _LANES_AND_FORMS for p in errors):
            self.lanes_and_forms_only += 1
            self.given.append(path)
        for p in errors:
            self.errors[kind_of(p)] += 1
        for p in problems:
            where = f"{path}: {p}"
            if p.file != "-" and not p.line:
                self.unlocated.append(where)
            if "\n" in p.message or not p.message.strip() or re.search(r"\bwith name \w+$",
                                                                       p.message):
                self.cut.append(where)
            if re.search(r"[Nn]o support", p.message) and not re.search(
                    r"bpmn:\w+|<\w+>", p.message):
                self.unnamed_refusals.append(where)


def run(suite: Path, limit: int | None = None) -> Figures:
    figures = Figures()
    for path in suite_files(suite)[:limit]:
        folder = path.relative_to(suite).parts[0]
        figures.folders[folder] += 1
        before = len(figures.tracebacks) + len(figures.unlocated) + len(figures.cut)
        target = file_target(path)
        try:
            problems = check_files(target.files, target.process_ids)
        except Exception:  # noqa: BLE001 - counted: the check must never raise
            figures.files += 1
            figures.tracebacks.append(f"{path}\n{traceback.format_exc()}")
        else:
            figures.add(path, problems)
        after = len(figures.tracebacks) + len(figures.unlocated) + len(figures.cut)
        figures.failing[folder] += after - before
    for path in figures.given:
        target = file_target(path)
        errors = [p for p in check_files(given_tasks_and_forms(target.files), target.process_ids,
                                         default_role="case_officer")
                  if p.severity == "error"]
        if errors:
            figures.failing_when_given.append(f"{path}: {errors[0]}")
        else:
            figures.pass_when_given += 1
    return figures


_FORM = b'{"type": "object", "properties": {"note": {"type": "string", "maxLength": 100}}}'


def given_tasks_and_forms(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with every plain task made a user task and every user task given a form (its
    lane comes from the default role): what a policy lead adds to an exported diagram."""
    given = dict(files)
    for name, data in files.items():
        if not is_bpmn_file(name):
            continue
        root = etree.fromstring(data)
        for task in root.iter(f"{{{BPMN}}}task"):
            task.tag = f"{{{BPMN}}}userTask"
        for task in root.iter(f"{{{BPMN}}}userTask"):
            extensions = task.find(f"{{{BPMN}}}extensionElements")
            if extensions is None:
                extensions = etree.Element(f"{{{BPMN}}}extensionElements")
                docs = len(task.findall(f"{{{BPMN}}}documentation"))
                task.insert(docs, extensions)
            properties = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
            etree.SubElement(properties, f"{{{SPIFF}}}property",
                             name="formJsonSchemaFilename", value="given.schema.json")
        given[name] = etree.tostring(root)
    given["forms/given.schema.json"] = _FORM
    return given


def report(figures: Figures) -> str:
    lines = [
        f"- files checked: {figures.files}",
        f"- files with no error: {figures.ok}",
        f"- files whose only errors are about lanes, forms and plain tasks: "
        f"{figures.lanes_and_forms_only}",
        f"- of those, files that pass once their tasks are user tasks with forms and a role: "
        f"{figures.pass_when_given}",
        f"- tracebacks: {len(figures.tracebacks)}",
        f"- problems with no line (line 0): {len(figures.unlocated)}",
        f"- messages cut short or spread over lines: {len(figures.cut)}",
        f"- refusals not naming the element type: {len(figures.unnamed_refusals)}",
        "",
        "| Errors by kind | Count |",
        "|---|---:|",
    ]
    lines += [f"| {kind} | {count} |" for kind, count in figures.errors.most_common()]
    lines += ["", "| Folder | Files | Tracebacks, line 0 or cut messages |", "|---|---:|---:|"]
    lines += [f"| {folder} | {count} | {figures.failing[folder]} |"
              for folder, count in sorted(figures.folders.items())]
    return "\n".join(lines)


def _write(figures_text: str) -> None:
    """Replace the figures between the markers in docs/miwg.md (the prose around them stays)."""
    start, end = "<!-- miwg:figures -->", "<!-- /miwg:figures -->"
    text = DOC.read_text()
    before, rest = text.split(start, 1)
    DOC.write_text(before + start + "\n" + figures_text + "\n" + end + rest.split(end, 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="record the figures in docs/miwg.md")
    parser.add_argument("--limit", type=int, default=None, help="check the first N files only")
    args = parser.parse_args()
    suite = suite_path()
    if suite is None:
        print("MIWG suite not found: set MIWG_SUITE to a checkout of "
              "bpmn-miwg/bpmn-miwg-test-suite; skipped")
        return 0
    figures = run(suite, args.limit)
    text = report(figures)
    print(text)
    for label, items in (("tracebacks", figures.tracebacks), ("unlocated", figures.unlocated),
                         ("cut", figures.cut), ("unnamed", figures.unnamed_refusals),
                         ("fails when given", figures.failing_when_given)):
        for item in items[:5]:
            print(f"[{label}] {item}")
    if args.write:
        _write(text)
    return 1 if figures.tracebacks or figures.unlocated or figures.cut else 0


if __name__ == "__main__":
    sys.exit(main())
