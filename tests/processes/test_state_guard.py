"""Guard for SpiffWorkflow upgrades: the stored form (engine/state_codec.py) writes a task, a
workflow and a subprocess attribute by attribute. When a new SpiffWorkflow gives one of them an
attribute the codec does not know, a case saved and loaded would silently lose it; this test
fails first, naming the attribute."""

from __future__ import annotations

from typing import Any

import pytest

from engine import ProcessInstance
from engine import state_codec as codec
from engine.simulation import drive

from .test_csods_scenarios import LANES, NATIONAL, answers, csods  # noqa: F401 - fixture

WHAT_TO_DO = """
SpiffWorkflow {version}: {kind} has attribute(s) {added} that engine/state_codec.py does not
know (and lacks {removed}, which the codec lists). A case saved and loaded would lose them.
For each new attribute, read what SpiffWorkflow keeps in it, then either
  - store it: write it in state_codec._encode_process / _state, set it back in _decode_process /
    decode, add it to state_codec.{stored}, raise state_codec.FORMAT (keep the previous format in
    READABLE_FORMATS) and add golden states of the new format with
    `.venv/bin/python -m tests.processes.golden_states --suffix formatN`; or
  - if the constructor makes it again on load and it holds no case state, add it to
    state_codec.{rebuilt} with a comment saying why.
For an attribute that is gone, remove it from the list and from the codec. Then run
tests/processes (the golden states must still load).
"""


@pytest.fixture(scope="module")
def live(csods):  # noqa: F811 - a case in the parallel checks: live subprocesses, timers
    instance, _ = drive(ProcessInstance.start(csods, NATIONAL), answers(), lanes=LANES,
                        stop_at=("ut_police_checks",))
    assert instance._wf.subprocesses
    return instance


def _check(objects: list[Any], kind: str, stored: str, rebuilt: str,
           optional: frozenset[str] = frozenset()) -> None:
    known = getattr(codec, stored) | getattr(codec, rebuilt)
    for obj in objects:
        have = set(vars(obj))
        added, removed = have - known - optional, known - have
        assert not added and not removed, WHAT_TO_DO.format(
            version=codec.SPIFFWORKFLOW_VERSION, kind=kind, added=sorted(added) or "none",
            removed=sorted(removed) or "none", stored=stored, rebuilt=rebuilt)


def _processes(instance: ProcessInstance) -> tuple[Any, list[Any]]:
    wf = instance._wf
    return wf, list(wf.subprocesses.values())


def test_the_codec_knows_every_attribute_of_a_task(live):
    wf, subs = _processes(live)
    tasks = [t for p in (wf, *subs) for t in p.tasks.values()]
    _check(tasks, "Task", "TASK_STORED", "TASK_REBUILT")


def test_the_codec_knows_every_attribute_of_the_workflow_and_its_subprocesses(live):
    wf, subs = _processes(live)
    _check([wf], "BpmnWorkflow", "WORKFLOW_STORED", "WORKFLOW_REBUILT",
           optional=codec.WORKFLOW_OURS)
    _check(subs, "BpmnSubWorkflow", "SUBPROCESS_STORED", "SUBPROCESS_REBUILT")


def test_a_loaded_case_has_every_attribute_a_live_one_has(csods, live):  # noqa: F811
    """``decode`` builds tasks without their constructor: it must set what the constructor
    would have, no more and no less."""
    loaded = ProcessInstance.load(csods, live.dump())
    (wf, subs), (wf2, subs2) = _processes(live), _processes(loaded)
    task_attrs = {frozenset(vars(t)) for p in (wf, *subs) for t in p.tasks.values()}
    loaded_attrs = {frozenset(vars(t)) for p in (wf2, *subs2) for t in p.tasks.values()}
    assert loaded_attrs == task_attrs
    assert set(vars(wf2)) - codec.WORKFLOW_OURS == set(vars(wf)) - codec.WORKFLOW_OURS
    assert {frozenset(vars(s)) for s in subs2} == {frozenset(vars(s)) for s in subs}
