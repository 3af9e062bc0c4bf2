"""The stored form (format 3): a restored CSODS case is the case that was saved, task by task;
typed values survive; state written in the earlier format still loads."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine import EngineError, ProcessInstance
from engine import serializer as stored_form
from engine.simulation import drive

from .test_csods_scenarios import LANES, NATIONAL, answers, csods  # noqa: F401 - fixture


def _task_view(task: Any) -> tuple[Any, ...]:
    return (task.id, task.task_spec.name, task.state, task._parent, list(task._children),
            task.data, task.internal_data, task.last_state_change, task.triggered)


def _workflow_view(wf: Any) -> dict[str, Any]:
    """Everything a task tree is made of, for the live part of a case (finished subprocesses
    are pruned on save, so they are left out on both sides)."""
    live, history = stored_form._live_subprocesses(wf)
    processes = [wf, *live.values()]
    return {
        "history": history,
        "processes": [(p.spec.name, p.task_tree.id, p.success, p.completed, p.data,
                       p.last_task.id if p.last_task else None,
                       [_task_view(t) for t in p.tasks.values()]) for p in processes],
        "waiting": sorted(str(t.id) for t in wf.event_manager.tasks.values()),
        "subprocess_callers": sorted(str(k) for k in live),
    }


def _every_state_on_the_disclosure_path(definition) -> list[ProcessInstance]:
    seen = []

    def keep(instance: ProcessInstance) -> ProcessInstance:
        seen.append(instance)
        return ProcessInstance.load(definition, instance.dump())

    drive(ProcessInstance.start(definition, NATIONAL), answers(), lanes=LANES, between=keep)
    return seen


def test_every_step_of_a_case_restores_task_for_task(csods):  # noqa: F811
    states = _every_state_on_the_disclosure_path(csods)
    assert len(states) >= 10
    for instance in states:
        restored = ProcessInstance.load(csods, instance.dump())
        assert _workflow_view(restored._wf) == _workflow_view(instance._wf)
        # task_count differs by the finished subprocesses pruned on save
        assert replace(restored.status(), task_count=0) == replace(instance.status(), task_count=0)


def test_a_restored_ready_task_owns_its_data(csods):  # noqa: F811
    instance = _every_state_on_the_disclosure_path(csods)[2]
    restored = ProcessInstance.load(csods, instance.dump())
    ready = next(t for t in restored._all_tasks() if t.state == 16 and t.task_spec.manual)
    parent_before = json.dumps(ready.parent.data, sort_keys=True)
    ready.data["note"] = "typed by the officer"
    for value in ready.data.values():
        if isinstance(value, list):
            value.append("changed")
    assert json.dumps(ready.parent.data, sort_keys=True) == parent_before


def test_typed_values_come_back_as_the_same_types(csods):  # noqa: F811
    instance = ProcessInstance.start(csods, NATIONAL)
    task = next(t for t in instance._all_tasks() if t.state == 16 and t.task_spec.manual)
    when = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    task.data.update({"seen_at": when, "gap": timedelta(days=3), "fee": Decimal("12.50"),
                      "nested": {"at": [when]}})
    text = instance.dump_json()
    assert json.loads(text)["typed"] is True
    restored = ProcessInstance.load(csods, instance.dump())
    again = next(t for t in restored._all_tasks() if t.id == task.id)
    assert (again.data["seen_at"], again.data["gap"], again.data["fee"]) == (
        when, timedelta(days=3), Decimal("12.50"))
    assert again.data["nested"] == {"at": [when]}


def test_typed_values_in_a_tasks_internal_data_come_back(csods):  # noqa: F811
    instance = ProcessInstance.start(csods, NATIONAL)
    task = next(t for t in instance._all_tasks() if t.state == 16 and t.task_spec.manual)
    when = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    task.internal_data["seen"] = {"at": when, "gap": timedelta(hours=2)}
    restored = ProcessInstance.load(csods, instance.dump())
    again = next(t for t in restored._all_tasks() if t.id == task.id)
    assert again.internal_data["seen"] == {"at": when, "gap": timedelta(hours=2)}
    plain = ProcessInstance.load(csods, ProcessInstance.start(csods, NATIONAL).dump())
    assert "typed" not in json.loads(plain.dump_json())  # the common case walks nothing


def test_functions_left_in_data_are_dropped_and_other_objects_refused(csods):  # noqa: F811
    instance = ProcessInstance.start(csods, NATIONAL)
    task = next(t for t in instance._all_tasks() if t.state == 16 and t.task_spec.manual)
    task.data.update(helper=len, helpers=[len, 1], ages={12})
    restored = ProcessInstance.load(csods, instance.dump())
    again = next(t for t in restored._all_tasks() if t.id == task.id).data
    # As SpiffWorkflow's own serializer stores them: dropped, null inside a value, a list.
    assert "helper" not in again
    assert (again["helpers"], again["ages"]) == ([None, 1], [12])
    del task.data["helpers"], task.data["ages"]
    task.data["thing"] = object()
    with pytest.raises(EngineError) as caught:
        instance.dump()
    assert caught.value.code == "unstorable_data"


def test_values_python_finds_equal_keep_their_own_type(csods):  # noqa: F811
    instance = ProcessInstance.start(csods, NATIONAL)
    task = next(t for t in instance._all_tasks() if t.state == 16 and t.task_spec.manual)
    task.parent.data["flag"], task.data["flag"] = 1, True
    task.parent.data["score"], task.data["score"] = Decimal("2"), 2.0
    restored = ProcessInstance.load(csods, instance.dump())
    by_id = {t.id: t for t in restored._all_tasks()}
    assert by_id[task.id].data["flag"] is True
    assert type(by_id[task.id].data["score"]) is float
    assert by_id[task.parent.id].data["flag"] == 1
    assert type(by_id[task.parent.id].data["flag"]) is int


def test_state_written_by_the_earlier_format_still_loads(csods):  # noqa: F811
    instance = _every_state_on_the_disclosure_path(csods)[4]
    wf = instance._wf
    # The earlier stored form: SpiffWorkflow's own JSON, minus the spec, plus our keys.
    legacy = stored_form.full_serializer().to_dict(wf)
    live, history = stored_form._live_subprocesses(wf)
    legacy.pop("spec")
    legacy.pop("subprocess_specs")
    legacy["subprocesses"] = {k: v for k, v in legacy["subprocesses"].items()
                              if any(str(s) == k for s in live)}
    legacy.update(spec_key=wf.spec_key, history=history)
    state = zlib.compress(json.dumps(legacy).encode())
    restored = ProcessInstance.load(csods, state)
    assert replace(restored.status(), task_count=0) == replace(instance.status(), task_count=0)
    assert restored.data() == instance.data()


@pytest.mark.parametrize("damage", [
    lambda d: d["processes"][0]["tasks"][0].__setitem__(1, "no_such_element"),
    lambda d: d["processes"][1].__setitem__("caller", "0" * 32),
    lambda d: d["blobs"].append([99, {}, []]) or d["processes"][0]["tasks"][1].__setitem__(
        8, len(d["blobs"]) - 1),
    lambda d: d.pop("processes"),
])
def test_damaged_state_is_refused_clearly(csods, damage):  # noqa: F811
    instance = _every_state_on_the_disclosure_path(csods)[4]
    dct = json.loads(instance.dump_json())
    damage(dct)
    with pytest.raises(EngineError) as caught:
        ProcessInstance.load(csods, zlib.compress(json.dumps(dct).encode()))
    assert caught.value.code == "corrupt_state"


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_data_nested_past_the_limit_is_refused_and_data_within_it_restores(csods):  # noqa: F811
    from engine.state_codec import MAX_DATA_DEPTH

    instance = ProcessInstance.start(csods, NATIONAL)
    task = next(t for t in instance._all_tasks() if t.state == 16 and t.task_spec.manual)
    task.data["deep"] = _nested(MAX_DATA_DEPTH - 2)
    restored = ProcessInstance.load(csods, instance.dump())
    again = next(t for t in restored._all_tasks() if t.id == task.id).data
    assert again["deep"] == task.data["deep"]
    task.data["deep"] = {"a": _nested(300)}
    with pytest.raises(EngineError) as caught:
        instance.dump()
    assert caught.value.code == "unstorable_data"
    assert f"more than {MAX_DATA_DEPTH} levels" in caught.value.message


def test_stored_state_nested_past_the_parser_is_refused_as_corrupt():
    with pytest.raises(EngineError) as caught:
        stored_form.load(zlib.compress(("[" * 5000 + "]" * 5000).encode()))
    assert caught.value.code == "corrupt_state"
