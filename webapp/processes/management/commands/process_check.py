"""Check process folders or files and print every problem as ``file:line: element: message``.

A file is checked on its own (its process ids taken from the file); a scheme or SpiffArena model
folder as one definition; a folder of exported files file by file; a folder of folders, each.
Every problem has a file and a line (line 1 when it has no element), or names the folder; no
input makes the command fail with a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engine import Problem, check_files
from engine.process_files import CheckTarget, targets
from engine.scheme import DECLARATION_FILE
from webapp.processes.lanes import WORK_ROLES

logger = logging.getLogger(__name__)


def problem_line(target: CheckTarget, problem: Problem) -> str:
    """One line per problem: ``file:line: element: severity: message`` (the folder and no line
    when the problem is the whole definition's)."""
    message = " ".join(problem.message.split())
    if problem.file == "-":
        where = f"{target.path}"
    else:
        where = f"{target.folder / problem.file}:{problem.line or 1}"
    return f"{where}: {problem.element_id or '-'}: {problem.severity}: {message}"


def check_target(target: CheckTarget, default_role: str = "") -> list[Problem]:
    """The problems of one target; a failure of the checker itself is reported, not raised."""
    try:
        # A scheme's declarations map its lanes to the product's roles; an exported file or
        # model without them is checked as a diagram.
        roles = WORK_ROLES if DECLARATION_FILE in target.files else None
        return check_files(target.files, target.process_ids, roles=roles,
                           default_role=default_role)
    except Exception as exc:  # noqa: BLE001 - no input may end the check with a traceback
        logger.exception("process_check failed on %s", target.path)
        return [Problem("-", None, None, f"the checker failed on this definition "
                                         f"({type(exc).__name__}: {' '.join(str(exc).split())});"
                                         " please report it")]


class Command(BaseCommand):
    help = "Validate and lint BPMN/DMN process definitions; exit 1 if any has an error."
    # It reads files, never the database or the URLs: Django's system checks (which import
    # every view) were half of its CPU on a small folder, paid by every CI run and editor hook.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+",
                            help="process folders or .bpmn/.bpmn20.xml/.dmn files")
        parser.add_argument("--role", default="", choices=sorted(str(r) for r in WORK_ROLES),
                            help="the role that works user tasks drawn outside any lane (a "
                                 "scheme declares it as \"default_role\" in scheme.json)")

    def handle(self, *args: Any, **options: Any) -> None:
        errors = warnings = 0
        for raw in options["paths"]:
            for target in targets(Path(raw)):
                if target.refusal:
                    errors += 1
                    self.stdout.write(f"{target.path}: -: error: {target.refusal}")
                    continue
                problems = check_target(target, options["role"])
                for problem in problems:
                    if problem.severity == "error":
                        errors += 1
                    else:
                        warnings += 1
                    self.stdout.write(problem_line(target, problem))
                if not problems:
                    self.stdout.write(f"{target.path}: ok")
        self.stdout.write(f"{errors} error(s), {warnings} warning(s)")
        if errors:
            raise SystemExit(1)
