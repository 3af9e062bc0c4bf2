"""Golden stored states: CSODS cases saved at different stages, kept to prove that state written
today still loads after a SpiffWorkflow upgrade or a change to the codec.

The set is self-contained under ``golden/``: the definition the states were saved against
(``definition/``, a copy of processes/csods at the time, since a state only loads with the
definition version it names), the answers used to drive the cases, one JSON file per state
(``ProcessInstance.dump_json``), and ``index.json`` recording, per state, the clock time it was
saved at, the tasks it offered, and the steps and outcome codes that driving it on produced.
``test_golden_states.py`` checks that every state still does the same.

Generate the set once per stored format, never to make a failing test pass (a golden state
that no longer loads is the bug the set exists to catch). After a change of
``state_codec.FORMAT``, add the new format's states next to the old ones:

    .venv/bin/python -m tests.processes.golden_states [--suffix formatN]

``--suffix`` names the new files (``enquiry.formatN.json`` ...) and keeps every existing entry
of ``index.json``; without it the set is written afresh (``definition/`` included). The
``format2`` states were written by the code before the header (commit 7889768), and
``--suffix format1`` writes the oldest stored form (SpiffWorkflow's own JSON without the spec),
which production may still hold and which SpiffWorkflow's converters read.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import time_machine
from SpiffWorkflow.util.task import TaskState

from engine import Definition, ProcessInstance, load_folder, serializer
from engine.definitions import read_folder
from engine.simulation import drive

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
DEFINITION = GOLDEN / "definition"
CSODS = HERE.parents[1] / "processes" / "csods"
LANES = ("Contact handler", "Case officer", "Decision maker", "Disclosure officer")
T0 = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)


def golden_definition() -> Definition:
    return load_folder(DEFINITION, "csods", lanes=set(LANES))


def read_index() -> dict[str, Any]:
    return json.loads((GOLDEN / "index.json").read_text())


def _answers() -> dict[str, Any]:
    """Each user task's answer, from the scheme's sample forms (and the start data), as the
    scenario tests give them today (read only when a set is written afresh: the test reads the
    answers stored with the set)."""
    from tests.processes.test_csods_scenarios import NATIONAL, SAMPLES, TASK_FORMS

    return {"start": NATIONAL,
            "tasks": {bpmn: SAMPLES[form] for bpmn, form in sorted(TASK_FORMS.items())}}


def _at_decision_with_typed_values(instance: ProcessInstance) -> None:
    """Values JSON cannot hold (written through SpiffWorkflow's registry, marked ``typed``)."""
    wf = instance._wf
    (task,) = [t for t in wf.get_tasks(state=TaskState.READY, manual=True)
               if t.task_spec.bpmn_id == "ut_decision"]
    task.data.update(seen_at=datetime(2026, 3, 20, 9, 30, tzinfo=UTC), gap=timedelta(days=3),
                     fee=Decimal("12.50"))


# name → (what it is, clock shift before saving, stop_at, extra steps, a change before saving)
Stage = tuple[str, timedelta, tuple[str, ...], tuple[str, ...],
              Callable[[ProcessInstance], None] | None]
STAGES: dict[str, Stage] = {
    "enquiry": ("just opened: the enquiry to record", timedelta(0), ("ut_record_enquiry",), (),
                None),
    "interview": ("waiting for the verification interview (timers, withdrawal message)",
                  timedelta(hours=2), ("ut_verification_interview",), (), None),
    "checks": ("parallel checks, the police check done (live subprocesses)",
               timedelta(days=2), ("ut_police_checks",), ("ut_police_checks",), None),
    "decision": ("waiting for the decision", timedelta(days=9), ("ut_decision",), (), None),
    "typed": ("waiting for the decision, with dates and decimals in the task data",
              timedelta(days=9), ("ut_decision",), (), _at_decision_with_typed_values),
    "overall-breach": ("the 45-day limit passed at the decision: breach review offered",
                       timedelta(days=60), ("ut_decision",), ("ut_decision",), None),
    "finished": ("disclosed and closed", timedelta(days=12), (), (), None),
}


def _format1(instance: ProcessInstance) -> str:
    """The stored form before format 2: SpiffWorkflow's JSON, minus the spec, plus our keys."""
    wf = instance._wf
    legacy = serializer.full_serializer().to_dict(wf)
    live, history = serializer._live_subprocesses(wf)
    legacy.pop("spec")
    legacy.pop("subprocess_specs")
    legacy["subprocesses"] = {k: v for k, v in legacy["subprocesses"].items()
                              if any(str(s) == k for s in live)}
    legacy.update(spec_key=wf.spec_key, history=history)
    return json.dumps(legacy, separators=(",", ":"))


def _offered(instance: ProcessInstance) -> list[str]:
    return sorted(t.bpmn_id for t in instance.human_tasks())


def _make_state(definition: Definition, answers: Mapping[str, Any], stage: Stage
                ) -> tuple[ProcessInstance, datetime]:
    _, shift, stop_at, extra, change = stage
    tasks = answers["tasks"]
    with time_machine.travel(T0, tick=False) as clock:
        instance = ProcessInstance.start(definition, answers["start"])
        instance, _ = drive(instance, tasks, lanes=LANES, stop_at=stop_at)
        clock.shift(shift)
        if extra:
            instance, _ = drive(instance, {k: tasks[k] for k in extra}, lanes=LANES)
        if change is not None:
            change(instance)
        return instance, T0 + shift


def make_golden(suffix: str = "") -> dict[str, Any]:
    """Write the golden set (see the module's docstring); returns the index written."""
    if not suffix:
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        (DEFINITION / "forms").mkdir(parents=True)
        for name, content in read_folder(CSODS).items():
            (DEFINITION / name).write_bytes(content)
        answers = _answers()
        (GOLDEN / "answers.json").write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
        index: dict[str, Any] = {"states": {}}
    else:
        answers = json.loads((GOLDEN / "answers.json").read_text())
        index = read_index()
    definition = golden_definition()
    for name, stage in STAGES.items():
        if suffix == "format1" and stage[4] is not None:
            continue  # typed values were written by a serializer configured differently
        instance, saved_at = _make_state(definition, answers, stage)
        text = _format1(instance) if suffix == "format1" else instance.dump_json()
        with time_machine.travel(saved_at, tick=False):
            offered = _offered(instance)
            finished, steps = drive(instance, answers["tasks"], lanes=LANES)
            status = finished.status()
        file = f"{name}.{suffix}.json" if suffix else f"{name}.json"
        (GOLDEN / file).write_text(text + "\n")
        header = json.loads(text)
        index["states"][file] = {
            "stage": stage[0], "format": header.get("format"),
            "spiffworkflow": header.get("spiffworkflow"), "saved_at": saved_at.isoformat(),
            "offered": offered, "steps": [s.bpmn_id for s in steps],
            "status": status.status, "outcome_codes": list(status.outcome_codes),
        }
    (GOLDEN / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    return index


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suffix", default="", help="add states named NAME.SUFFIX.json")
    written = make_golden(parser.parse_args().suffix)
    print(f"{len(written['states'])} golden states in {GOLDEN}")
