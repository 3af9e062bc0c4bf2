"""docs/bpmn-support.md: every row names the tests behind it, and each of them exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "bpmn-support.md"
STATUSES = ("Runs", "Refused at check", "Ignored with a warning")


def _files() -> dict[str, Path]:
    """The table's prefixes (``T:``) and the test files they stand for, from its own key."""
    key = re.findall(r"`(\w+):` is\s+`(tests/[\w/]+\.py)`", " ".join(TABLE.read_text().split()))
    return {prefix: ROOT / path for prefix, path in key}


def _rows() -> list[list[str]]:
    rows = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 4 and cells[1] not in ("Status", "---"):
            rows.append(cells)
    return rows


def test_every_row_has_a_status_and_only_tests_that_exist():
    files = _files()
    assert {"T", "E", "R", "RT"} <= set(files)
    rows = _rows()
    assert len(rows) > 80
    sources = {prefix: path.read_text() for prefix, path in files.items()}
    for cells in rows:
        element, status, tests = cells[0], cells[1], cells[-1]
        assert status.startswith(STATUSES), (element, status)
        cited = re.findall(r"(?:(\w+): )?`(test_\w+)(?:\[[^\]`]*\])?`", tests)
        assert cited, f"no test backs the row '{element}'"
        prefix = None
        for given, name in cited:
            prefix = given or prefix  # "T: `a`, `b`": b is in T's file too
            assert prefix in sources, (element, prefix)
            assert re.search(rf"def {name}\(", sources[prefix]), (element, prefix, name)
