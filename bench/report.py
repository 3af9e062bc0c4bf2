"""Write a benchmark's latest figures into docs/benchmarks.md, between its own markers."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Run `make bench`. Every figure is a ratio against a baseline measured in the same run, because
the machines are noisy; absolute numbers are for orientation only. Each section below is
rewritten by its benchmark.
"""


def write_section(key: str, title: str, lines: list[str]) -> None:
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = DOC.read_text() if DOC.exists() else HEADER
    block = "\n".join([start, f"## {title}", "", *lines, end])
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)
