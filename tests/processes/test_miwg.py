"""The process check over the BPMN MIWG test suite (bench/miwg.py): no traceback, every problem
located (never line 0), no message cut or spread over lines, every refusal naming the element
type. Skipped when the suite is absent (set MIWG_SUITE to a checkout of
bpmn-miwg/bpmn-miwg-test-suite)."""

from __future__ import annotations

import pytest

from bench.miwg import run, suite_path

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(suite_path() is None, reason="MIWG suite not present")]


def test_every_miwg_file_gets_a_located_whole_answer_and_none_a_traceback():
    suite = suite_path()
    assert suite is not None
    figures = run(suite)
    assert figures.files > 800
    assert figures.tracebacks == []
    assert figures.unlocated == []
    assert figures.cut == []
    assert figures.unnamed_refusals == []
    # A file SpiffWorkflow builds with only supported elements passes once its tasks are user
    # tasks with forms and a role.
    assert figures.failing_when_given == []
    assert figures.pass_when_given == figures.lanes_and_forms_only > 0
