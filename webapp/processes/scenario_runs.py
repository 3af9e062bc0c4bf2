"""A draft's scenarios run on every save and before publishing: a failing scenario is an error
of the draft (at its file and line) and blocks the version."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from engine import Definition, DefinitionInvalid, load_files
from engine.json_lines import JsonLines
from engine.scenarios import ScenarioResult, run_scenarios
from webapp.errors import ServiceError
from webapp.processes.lanes import WORK_ROLES

log = logging.getLogger(__name__)

Results = list[dict[str, Any]]


def _as_dict(result: ScenarioResult) -> dict[str, Any]:
    row = asdict(result)
    row["path"] = [step["name"] for step in row["path"]]
    row["reasons"], row["outcomes"] = list(result.reasons), list(result.outcomes)
    return row


def run_for_files(process_id: str, files: Mapping[str, bytes],
                  problems: Sequence[Mapping[str, Any]]) -> tuple[Results | None, Results]:
    """Each scenario's result, and a problem for each scenario that fails; (None, []) when
    the draft has errors and so cannot run."""
    if any(p["severity"] == "error" for p in problems):
        return None, []
    try:
        definition = load_files(files, process_id, roles=WORK_ROLES)
    except DefinitionInvalid:
        return None, []
    results = run_scenarios(definition)
    failures: Results = []
    for result in results:
        if result.passed:
            continue
        line = JsonLines(files[result.file].decode("utf-8", "replace")).line(("expect",))
        failures.append({"file": result.file, "line": line, "element_id": None,
                         "message": f"The scenario '{result.title}' fails. "
                                    + " ".join(result.reasons),
                         "severity": "error"})
    log.info("scenarios run: process=%s run=%s failed=%s", process_id, len(results),
             sum(not r.passed for r in results))
    return [_as_dict(r) for r in results], failures


def refuse_failing(definition: Definition) -> None:
    """Refuse to publish a definition any of whose scenarios fails, naming them."""
    failing = [r for r in run_scenarios(definition) if not r.passed]
    if not failing:
        return
    names = ", ".join(f"'{r.title}'" for r in failing)
    noun = "scenario fails" if len(failing) == 1 else "scenarios fail"
    raise ServiceError("conflict", f"{len(failing)} {noun}: {names}. A version is published "
                                   "only when every scenario passes: change the process or the "
                                   "scenario, save the draft, then publish.")
