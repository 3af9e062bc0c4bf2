"""What-if benchmark: a year of one large force's DVDS cases simulated on a version, against
raw SpiffWorkflow running cases of the same diagram in memory (measured in the same run).

About 2,500 DVDS applications a year is a large force (Cleveland had 2,443 in 2024; dvds-spec
§7). No published task durations exist, so each step takes a bounded synthetic number of working
hours. The simulation's time includes working out the paths from the scenarios (SpiffWorkflow
once per scenario); the baseline is raw SpiffWorkflow running the disclosure path of CSODS (as
bench/engine.py does) for a sample of cases, scaled to the year's number of cases.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine import CSODS, LANES, raw_case  # noqa: E402
from bench.report import write_section  # noqa: E402
from engine import load_folder  # noqa: E402
from engine.whatif import Arrival, Inputs, simulate  # noqa: E402
from engine.whatif_paths import clock_rules, paths_of  # noqa: E402
from engine.working_hours import DAY, HOUR, OFFICE_HOURS  # noqa: E402

DVDS = ROOT / "processes" / "dvds"
YEAR = 365 * DAY
STAFFING = {"contact_handler": 2, "case_officer": 8, "decision_maker": 2, "disclosure_officer": 2}
LIMITS = {"limit_initial": 24 * HOUR, "limit_overall": 28 * DAY}


def year_inputs(definition: object, cases: int, seed: int) -> Inputs:
    """A year of arrivals at random times, a synthetic history of 20 durations per step."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data
    paths = paths_of(definition)  # type: ignore[arg-type]
    arrivals = [Arrival(rng.uniform(0, YEAR)) for _ in range(cases)]
    elements = {s.element for p in paths for s in p.steps}
    durations = {e: [rng.uniform(0.25, 4) * HOUR for _ in range(20)] for e in sorted(elements)}
    return Inputs(paths, arrivals, durations, STAFFING, OFFICE_HOURS,
                  clock_rules(definition, LIMITS), seed)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2500, help="cases in the simulated year")
    parser.add_argument("--baseline-cases", type=int, default=200,
                        help="raw SpiffWorkflow cases timed (scaled to --cases)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()

    dvds, csods = load_folder(DVDS, lanes=LANES), load_folder(CSODS, lanes=LANES)
    raw_case(csods)  # warm caches
    simulate(year_inputs(dvds, 100, 1))
    sims, raws, result = [], [], None
    for round_ in range(args.rounds):
        began = time.perf_counter()
        result = simulate(year_inputs(dvds, args.cases, round_ + 1))
        sims.append(time.perf_counter() - began)
        began = time.perf_counter()
        for _ in range(args.baseline_cases):
            raw_case(csods)
        raws.append((time.perf_counter() - began) * args.cases / args.baseline_cases)
    assert result is not None
    sim_m, raw_m = statistics.median(sims), statistics.median(raws)
    shares = ", ".join(f"{c.label} {c.share:.0%}" for c in result.clocks if c.share is not None)
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}: {args.rounds} rounds; medians. A year of "
        f"{args.cases:,} DVDS cases (arrivals at random, {len(result.role_figures)} roles, "
        f"{OFFICE_HOURS.words()}), paths from the version's scenarios.",
        "",
        "| Run | seconds | ratio to raw |",
        "|---|---|---|",
        f"| Raw SpiffWorkflow, in memory, {args.cases:,} CSODS cases (timed on "
        f"{args.baseline_cases}, scaled) | {raw_m:.1f} | 1.00 |",
        f"| What-if: paths worked out once, then the year simulated | **{sim_m:.2f}** | "
        f"{sim_m / raw_m:.3f} |",
        "",
        f"Target: a year of one force's cases in seconds (≤ 10 s): "
        f"**{'met' if sim_m <= 10 else 'NOT met'}** ({sim_m:.2f} s). Predicted on time with "
        f"the benchmark's staffing: {shares}.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("whatif", "What-if: a year of one force's cases (bench/whatif.py)", lines)


if __name__ == "__main__":
    main()
