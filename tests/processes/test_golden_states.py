"""Stored state outlives an upgrade: every golden state (tests/processes/golden/, written once by
``golden_states.make_golden`` in today's format and the earlier ones) still loads with today's
code, offers the tasks it offered when it was saved, and driven on, with a save and a reload
between every step, takes the same steps to the same outcome.

A failure here means cases already stored in production would break: fix the code (the reader
of that format), never regenerate the golden file.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from engine import ProcessInstance
from engine import serializer as stored_form
from engine.simulation import drive, save_and_reload
from engine.state_codec import FORMAT, SPIFFWORKFLOW_VERSION

from .golden_states import GOLDEN, LANES, golden_definition, read_index

INDEX = read_index()["states"]
ANSWERS = json.loads((GOLDEN / "answers.json").read_text())["tasks"]


@pytest.fixture(scope="module")
def definition():
    return golden_definition()


def test_the_set_holds_each_format_and_every_stage():
    formats = {entry["format"] for entry in INDEX.values()}
    assert {None, 2, FORMAT} <= formats
    today = {name for name, entry in INDEX.items() if entry["format"] == FORMAT}
    assert len(today) >= 6


@pytest.mark.parametrize("name", sorted(INDEX))
def test_a_golden_state_loads_and_drives_on_to_the_same_outcome(definition, name):
    entry = INDEX[name]
    text = (GOLDEN / name).read_text()
    with time_machine.travel(datetime.fromisoformat(entry["saved_at"]), tick=False):
        instance = ProcessInstance.load(definition, text)
        assert sorted(t.bpmn_id for t in instance.human_tasks()) == entry["offered"]
        instance, steps = drive(instance, ANSWERS, lanes=LANES, between=save_and_reload)
        status = instance.status()
    assert [s.bpmn_id for s in steps] == entry["steps"]
    assert (status.status, list(status.outcome_codes)) == (entry["status"],
                                                           entry["outcome_codes"])
    # Written again today, the case carries today's header.
    header = json.loads(instance.dump_json())
    assert (header["format"], header["spiffworkflow"]) == (FORMAT, SPIFFWORKFLOW_VERSION)


def test_the_header_names_the_format_and_the_library_version(definition):
    for name, entry in INDEX.items():
        assert stored_form.header((GOLDEN / name).read_text()) == (
            entry["format"] or 0, entry["spiffworkflow"])


def test_typed_values_in_a_golden_state_come_back_as_their_types(definition):
    for name in ("typed.json", "typed.format2.json"):
        instance = ProcessInstance.load(definition, (GOLDEN / name).read_text())
        data = instance.data()
        assert type(data["seen_at"]) is datetime and type(data["fee"]) is Decimal
        assert data["fee"] == Decimal("12.50")
