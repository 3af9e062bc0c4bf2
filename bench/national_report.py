"""The national benchmark's section of docs/benchmarks.md (bench/national.py gathers the run)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.national import (
    DETAIL_FLOOR_MAX,
    DETAILS,
    FLAT_MAX,
    LIST_FLOOR_MAX,
    LISTS,
    LOG_SHARE_MAX,
    VERIFY_N,
)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def _floor(step: dict[str, Any]) -> float:
    """The floor's p95 at a step: the better of its two runs (before and after the pages)."""
    pages = step["pages"]
    runs = [pages["floor"][1].p95]
    if "floor_after" in pages:
        runs.append(pages["floor_after"][1].p95)
    return min(runs)


def _rows(small: dict[str, Any], large: dict[str, Any], sizes: tuple[str, str],
          keys: list[str]) -> tuple[list[str], list[str]]:
    """Table rows comparing two steps, and the names of the targets not met."""
    lines = ["| Page | p50 / p95 ms at " + sizes[0] + " | p50 / p95 ms at " + sizes[1]
             + " | SQL statements | p95 ratio (≤ 1.2) | ratio, each p95 ÷ its step's floor "
             "| p95 ÷ floor at " + sizes[1] + " |",
             "|---|---|---|---|---|---|---|"]
    missed = []
    floor, floor_before = _floor(large), _floor(small)
    for key in keys:
        label, a, _, _ = small["pages"][key]
        _, b, sql, _ = large["pages"][key]
        ratio = b.p95 / a.p95
        if key == "floor":
            lines.append(f"| {label} | {a.p50:.1f} / {a.p95:.1f} | {b.p50:.1f} / {b.p95:.1f} "
                         f"| {sql.statements} | {ratio:.2f} | 1 | 1 |")
            continue
        steady = (b.p95 / floor) / (a.p95 / floor_before)
        limit = LIST_FLOOR_MAX if key in LISTS else DETAIL_FLOOR_MAX
        to_floor = b.p95 / floor
        if ratio > FLAT_MAX:
            missed.append(f"{label}: growth {ratio:.2f}")
        if to_floor > limit:
            missed.append(f"{label}: {to_floor:.1f}× the floor")
        lines.append(f"| {label} | {a.p50:.1f} / {a.p95:.1f} | {b.p50:.1f} / {b.p95:.1f} | "
                     f"{sql.statements} | {ratio:.2f} {verdict(ratio <= FLAT_MAX)} | "
                     f"{steady:.2f} | "
                     f"{to_floor:.1f} (≤ {limit:.0f}) {verdict(to_floor <= limit)} |")
    return lines, missed


def _slow(step: dict[str, Any], keys: list[str]) -> list[str]:
    lines = []
    for key in keys:
        label, _, _, slow = step["pages"][key]
        for ms, text, best, plan in slow:
            lines += [f"- {label}: {ms:.2f} ms in the request, {best:.2f} ms executing: "
                      f"`{text}`", *[f"  {line}" for line in plan[:12]]]
    return lines or ["- none"]


def report(run: dict[str, Any]) -> list[str]:
    args, steps, load = run["args"], run["steps"], run["loadavg"]
    small, large = steps["small"], steps["large"]
    log_small, log_large = steps["log_small"], steps["log_large"]
    n_small, n_large = small["counts"]["cases"], large["counts"]["cases"]
    sizes = (f"{n_small:,} cases", f"{n_large:,} cases")
    case_keys = ["floor", "mine", "queue", "cases", "cases_all", "search", "search_none", "case"]
    table, missed = _rows(small, large, sizes, case_keys)
    log_keys = ["floor", "audit", "audit_user", "audit_case", "audit_dates", "audit_user_dates"]
    log_table, log_missed = _rows(log_small, log_large,
                                  (f"{log_small['rows']:,} rows", f"{log_large['rows']:,} rows"),
                                  log_keys)
    ca, cb = small["complete"], large["complete"]
    complete_ratio = cb["timing"].p95 / ca["timing"].p95
    v_small, v_large = log_small["verify"], log_large["verify"]
    big = large["counts"]
    assert set(LISTS) | set(DETAILS)  # every measured page is a list or a detail page
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {run['machine']}; whole run "
        f"{run['runtime'] / 60:.1f} min. 1-minute load average before each step: "
        + ", ".join(f"{k} {v:.1f}" for k, v in load.items())
        + " (the machine is shared by several engineers' jobs: treat absolute times as "
        "orientation, the ratios are what is compared).",
        "",
        f"Command: `bench/national.py --step {args.step} --cases {args.cases} --access-step "
        f"{args.access_step} --access-rows {args.access_rows} --samples {args.samples}`. "
        f"Data at the large step: **{big['cases']:,} cases** ({big['open cases']:,} open) "
        f"over 43 forces, **{big['human tasks']:,} task rows**, **{log_large['rows']:,} "
        f"access-log rows**; database {run['bytes'] / 2**30:.1f} GiB. Build times: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in run["phases"].items() if v >= 1) + ".",
        "",
        "Growth adds closed cases (years of history) with their finished task rows: each "
        "force's open work stays the same, so a flat page is one whose cost does not follow "
        "the size of the history. Both schemes: Clare's Law template cases follow "
        "processes/dvds/demo.json's plans, and the clones take the published volumes' "
        "shares (10 DVDS to 1 CSODS; "
        + ", ".join(f"{v:,} {k}" for k, v in run["steps"]["large"]["counts"].items()
                    if k.endswith(" cases") and k != "open cases")
        + " at the large step). Pages through Django's test client, "
        f"{args.samples} requests each; SQL statements per request at the large step; the "
        "floor is an authenticated page rendering the layout and making no query of its own "
        "(bench/floor_urls.py), measured in the same step.",
        "",
        *table,
        "",
        f"Task completion (`services.task_complete`, random assigned tasks): p95 "
        f"{ca['timing'].p95:.1f} ms at {sizes[0]}, {cb['timing'].p95:.1f} ms at {sizes[1]}: "
        f"ratio {complete_ratio:.2f} {verdict(complete_ratio <= FLAT_MAX)}. Writing the "
        f"access-log entry (its statements' own time in the call, p50 {cb['log'].p50:.2f} ms) "
        f"adds {100 * cb['adds']:.1f} % to the rest of the completion (p50 "
        f"{cb['without'].p50:.1f} ms) at {sizes[1]} ({100 * ca['adds']:.1f} % at "
        f"{sizes[0]}): ≤ {100 * LOG_SHARE_MAX:.0f} % {verdict(cb['adds'] <= LOG_SHARE_MAX)}.",
        "",
        "The auditor's access-log page and its filters, at two sizes of the log (same cases):",
        "",
        *log_table,
        "",
        "`audit_verify --since-checkpoint` (a signed checkpoint, then new rows written through "
        f"the log's writer): {VERIFY_N:,} new rows {v_small[VERIFY_N]:.0f} ms and "
        f"{10 * VERIFY_N:,} new rows {v_small[10 * VERIFY_N]:.0f} ms over a log of "
        f"{log_small['rows']:,} rows; {v_large[VERIFY_N]:.0f} ms and "
        f"{v_large[10 * VERIFY_N]:.0f} ms over {log_large['rows']:,} rows. Ratio 10N ÷ N: "
        f"{v_large[10 * VERIFY_N] / v_large[VERIFY_N]:.1f} (proportional to the new rows: 10); "
        f"large log ÷ small log for the same new rows: "
        f"{v_large[10 * VERIFY_N] / v_small[10 * VERIFY_N]:.2f}.",
        "",
        "Targets not met: " + ("; ".join(missed + log_missed) if missed + log_missed
                               else "none") + ".",
        "",
        "Statements taking ≥ 0.5 ms (median) in a request at the large steps, and their plans:",
        "",
        *_slow(large, case_keys[1:]),
        *_slow(log_large, log_keys[1:]),
    ]
    return lines
