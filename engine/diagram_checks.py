"""The checks a policy lead's diagram gets beyond the lint: its shape (``graph_check``) and the
variables it reads (``variable_check``). Listed with their messages in docs/process-checks.md."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from lxml import etree

from engine.graph_check import check_graph
from engine.lint import Problem
from engine.variable_check import check_variables


def check_diagrams(roots: Mapping[str, etree._Element], files: Mapping[str, bytes], *,
                   forms: Mapping[str, Any], start_names: Collection[str]) -> list[Problem]:
    """Shape and variable problems of parsed BPMN/DMN ``roots``; ``start_names`` are the
    variables every case starts with (the declared parameters and what the service adds)."""
    return [*check_graph(roots, forms), *check_variables(roots, files, forms=forms,
                                                       start_names=start_names)]
