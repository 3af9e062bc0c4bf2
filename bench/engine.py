"""Engine benchmark: CSODS cases start → end per second, raw SpiffWorkflow vs our engine.

The baseline is measured in the same run (machines are noisy): raw SpiffWorkflow in memory with
its default script engine (the ceiling), against our engine with the sandbox and a save/load of
the stored state between every step (what the service layer does). Rounds alternate so that
drift hits both sides. Figures go to docs/benchmarks.md between the engine markers.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from bench.report import write_section  # noqa: E402
from engine import Definition, ProcessInstance, load_folder  # noqa: E402
from engine.scheme import build, read_declaration  # noqa: E402
from engine.simulation import drive  # noqa: E402

CSODS = ROOT / "processes" / "csods"
LANES = {"Contact handler", "Case officer", "Decision maker", "Disclosure officer"}
# The national start data: every parameter the scheme declares, at its default.
START = build(read_declaration((CSODS / "scheme.json").read_bytes())).defaults() | {
    "outcome_codes": []}
TASK_FORMS = {
    "ut_record_enquiry": "enquiry", "ut_initial_checks": "initial_checks",
    "ut_verification_interview": "verification_interview", "ut_police_checks": "police_checks",
    "ut_intelligence_checks": "intelligence_checks", "ut_partner_checks": "partner_checks",
    "ut_risk_assessment": "risk_assessment", "ut_decision": "decision",
    "ut_plan_disclosure": "disclosure_plan", "ut_deliver_disclosure": "disclosure_delivery",
}
SAMPLES = {p.stem: json.loads(p.read_text()) for p in (CSODS / "forms" / "samples").glob("*")}
ANSWERS = {bpmn: SAMPLES[form] for bpmn, form in TASK_FORMS.items()}
EXPECTED = ("DisclosureChildSexualOffence", "SafeguardingReferral")


def raw_case(definition: Definition) -> None:
    """The disclosure path on plain SpiffWorkflow, in memory, default script engine."""
    wf = BpmnWorkflow(definition.spec, definition.subprocess_specs)
    wf.task_tree.data.update(json.loads(json.dumps(START)))
    wf.do_engine_steps()
    while True:
        ready = [t for t in wf.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id in ANSWERS]
        if not ready:
            break
        task = ready[0]
        task.data.update(json.loads(json.dumps(ANSWERS[task.task_spec.bpmn_id])))
        task.run()
        wf.do_engine_steps()
    assert wf.is_completed() and tuple(wf.data["outcome_codes"]) == EXPECTED


def engine_case(definition: Definition, *, persist: bool = True) -> int:
    """The same path through our engine; with ``persist``, a save/load around every step."""
    instance = ProcessInstance.start(definition, START)
    state = instance.dump() if persist else b""
    while True:
        if persist:
            instance = ProcessInstance.load(definition, state)
        ready = [t for t in instance.human_tasks() if t.bpmn_id in ANSWERS]
        if not ready:
            break
        instance.complete_task(ready[0].task_id, ANSWERS[ready[0].bpmn_id], lanes=LANES)
        if persist:
            state = instance.dump()
    assert instance.status().outcome_codes == EXPECTED
    return len(state)


def rate(run: Callable[[], object], cases: int) -> float:
    began = time.perf_counter()
    for _ in range(cases):
        run()
    return cases / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100, help="cases per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()

    definition = load_folder(CSODS, lanes=LANES)
    for run in (lambda: raw_case(definition), lambda: engine_case(definition),
                lambda: engine_case(definition, persist=False)):
        run()  # warm caches (compiled expressions, DMN parse)

    raw, ours, memory = [], [], []
    for _ in range(args.rounds):
        raw.append(rate(lambda: raw_case(definition), args.cases))
        ours.append(rate(lambda: engine_case(definition), args.cases))
        memory.append(rate(lambda: engine_case(definition, persist=False), args.cases))

    finished, _ = drive(ProcessInstance.start(definition, START), ANSWERS, lanes=LANES)
    stored, as_json = len(finished.dump()), len(finished.dump_json())
    raw_m, ours_m, mem_m = (statistics.median(x) for x in (raw, ours, memory))
    ratio = ours_m / raw_m
    rows = [
        ("Raw SpiffWorkflow, in memory (ceiling)", f"{raw_m:.1f}", "1.00"),
        ("Our engine, in memory (sandbox, guards)", f"{mem_m:.1f}", f"{mem_m / raw_m:.2f}"),
        ("Our engine, save/load between every step", f"{ours_m:.1f}", f"{ratio:.2f}"),
    ]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}: {args.rounds} alternating rounds of "
        f"{args.cases} CSODS disclosure-path cases (10 user tasks, 6 call activities, DMN, "
        "parallel checks); medians.",
        "",
        "| Path | cases/s | ratio to raw |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        f"Target: save/load path at least 0.5 of raw: **{'met' if ratio >= 0.5 else 'NOT met'}** "
        f"({ratio:.2f}).",
        "",
        f"State of a finished case: **{stored:,} bytes stored** (zlib, spec-less, finished "
        f"subprocesses pruned); {as_json:,} bytes as JSON. Target ≤ 16 KB stored: "
        f"**{'met' if stored <= 16 * 1024 else 'NOT met'}**.",
        "",
        "Rounds (raw / ours with save-load): "
        + ", ".join(f"{r:.0f}/{o:.0f}" for r, o in zip(raw, ours, strict=True)),
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("engine", "Engine: CSODS cases per second (bench/engine.py)", lines)


if __name__ == "__main__":
    main()
