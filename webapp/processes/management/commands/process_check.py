"""Check process folders or files and print every problem as ``file:line: element: message``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine import EngineError, check_files
from engine.definitions import PROCESS_SUFFIXES, read_folder
from webapp.processes.lanes import WORK_ROLES


def _definition_folders(path: Path) -> list[Path]:
    """A process file means its folder; a folder of process folders means each of them."""
    if path.is_file():
        return [path.parent]
    if any(p.suffix in PROCESS_SUFFIXES for p in path.iterdir() if p.is_file()):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


class Command(BaseCommand):
    help = "Validate and lint BPMN/DMN process definitions; exit 1 if any has an error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="process folders or .bpmn/.dmn files")

    def handle(self, *args: Any, **options: Any) -> None:
        errors = warnings = 0
        for raw in options["paths"]:
            path = Path(raw)
            if not path.exists():
                raise CommandError(f"{raw}: no such file or folder")
            for folder in _definition_folders(path):
                try:
                    files = read_folder(folder)
                except EngineError as exc:
                    raise CommandError(f"{folder}: {exc.message}") from exc
                problems = check_files(files, folder.name, roles=WORK_ROLES)
                for problem in problems:
                    where = folder / problem.file if problem.file != "-" else folder
                    line = f"{where}:{problem.line or 0}: {problem.element_id or '-'}: "
                    line += f"{problem.severity}: {problem.message}"
                    if problem.severity == "error":
                        errors += 1
                        self.stdout.write(line)
                    else:
                        warnings += 1
                        self.stdout.write(line)
                if not problems:
                    self.stdout.write(f"{folder}: ok")
        self.stdout.write(f"{errors} error(s), {warnings} warning(s)")
        if errors:
            raise SystemExit(1)
